// skin/image.hpp: deprecated path, kept for one release; include "skin/input/image.hpp" instead.
#pragma once
#include "skin/input/image.hpp"  // IWYU pragma: export
