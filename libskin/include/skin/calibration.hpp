// skin/calibration.hpp: deprecated path, kept for one release; include "skin/evaluation/calibration.hpp" instead.
#pragma once
#include "skin/evaluation/calibration.hpp"  // IWYU pragma: export
