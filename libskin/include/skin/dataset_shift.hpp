// skin/dataset_shift.hpp: deprecated path, kept for one release; include "skin/robustness/dataset_shift.hpp" instead.
#pragma once
#include "skin/robustness/dataset_shift.hpp"  // IWYU pragma: export
