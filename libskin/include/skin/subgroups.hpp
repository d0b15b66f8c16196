// skin/subgroups.hpp: deprecated path, kept for one release; include "skin/evaluation/subgroups.hpp" instead.
#pragma once
#include "skin/evaluation/subgroups.hpp"  // IWYU pragma: export
