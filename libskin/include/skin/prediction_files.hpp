// skin/prediction_files.hpp: deprecated path, kept for one release; include "skin/inference/prediction_files.hpp"
// instead.
#pragma once
#include "skin/inference/prediction_files.hpp"  // IWYU pragma: export
