// skin/gates.hpp: deprecated path, kept for one release; include "skin/evaluation/gates.hpp" instead.
#pragma once
#include "skin/evaluation/gates.hpp"  // IWYU pragma: export
