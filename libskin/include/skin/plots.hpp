// skin/plots.hpp: deprecated path, kept for one release; include "skin/evaluation/plots.hpp" instead.
#pragma once
#include "skin/evaluation/plots.hpp"  // IWYU pragma: export
