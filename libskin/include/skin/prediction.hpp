// skin/prediction.hpp: deprecated path, kept for one release; include "skin/model/prediction.hpp" instead.
#pragma once
#include "skin/model/prediction.hpp"  // IWYU pragma: export
