// skin/pipeline.hpp: deprecated path, kept for one release; include "skin/inference/pipeline.hpp" instead.
#pragma once
#include "skin/inference/pipeline.hpp"  // IWYU pragma: export
