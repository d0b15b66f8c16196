// skin/sha256.hpp: deprecated path, kept for one release; include "skin/core/sha256.hpp" instead.
#pragma once
#include "skin/core/sha256.hpp"  // IWYU pragma: export
