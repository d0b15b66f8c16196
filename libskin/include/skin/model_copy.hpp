// skin/model_copy.hpp: deprecated path, kept for one release; include "skin/model/model_copy.hpp" instead.
#pragma once
#include "skin/model/model_copy.hpp"  // IWYU pragma: export
