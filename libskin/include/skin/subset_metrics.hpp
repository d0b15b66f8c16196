// skin/subset_metrics.hpp: deprecated path, kept for one release; include "skin/evaluation/subset_metrics.hpp" instead.
#pragma once
#include "skin/evaluation/subset_metrics.hpp"  // IWYU pragma: export
