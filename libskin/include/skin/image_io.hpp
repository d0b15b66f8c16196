// skin/image_io.hpp: deprecated path, kept for one release; include "skin/input/image_io.hpp" instead.
#pragma once
#include "skin/input/image_io.hpp"  // IWYU pragma: export
