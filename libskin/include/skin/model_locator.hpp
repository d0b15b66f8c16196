// skin/model_locator.hpp: deprecated path, kept for one release; include "skin/model/model_locator.hpp" instead.
#pragma once
#include "skin/model/model_locator.hpp"  // IWYU pragma: export
