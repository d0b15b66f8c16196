// skin/thresholds_file.hpp: deprecated path, kept for one release; include "skin/model/thresholds_file.hpp" instead.
#pragma once
#include "skin/model/thresholds_file.hpp"  // IWYU pragma: export
