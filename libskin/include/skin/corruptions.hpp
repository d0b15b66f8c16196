// skin/corruptions.hpp: deprecated path, kept for one release; include "skin/robustness/corruptions.hpp" instead.
#pragma once
#include "skin/robustness/corruptions.hpp"  // IWYU pragma: export
