// skin/manifest.hpp: deprecated path, kept for one release; include "skin/model/manifest.hpp" instead.
#pragma once
#include "skin/model/manifest.hpp"  // IWYU pragma: export
