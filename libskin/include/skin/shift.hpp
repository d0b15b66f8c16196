// skin/shift.hpp: deprecated path, kept for one release; include "skin/evaluation/shift.hpp" instead.
#pragma once
#include "skin/evaluation/shift.hpp"  // IWYU pragma: export
