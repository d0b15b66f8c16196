// skin/version.hpp: deprecated path, kept for one release; include "skin/core/version.hpp" instead.
#pragma once
#include "skin/core/version.hpp"  // IWYU pragma: export
