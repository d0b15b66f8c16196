// skin/preprocess.hpp: deprecated path, kept for one release; include "skin/model/preprocess.hpp" instead.
#pragma once
#include "skin/model/preprocess.hpp"  // IWYU pragma: export
