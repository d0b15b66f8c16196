// skin/progress.hpp: deprecated path, kept for one release; include "skin/core/progress.hpp" instead.
#pragma once
#include "skin/core/progress.hpp"  // IWYU pragma: export
