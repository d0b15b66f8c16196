// skin/metrics.hpp: deprecated path, kept for one release; include "skin/evaluation/metrics.hpp" instead.
#pragma once
#include "skin/evaluation/metrics.hpp"  // IWYU pragma: export
