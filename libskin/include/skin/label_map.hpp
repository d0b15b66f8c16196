// skin/label_map.hpp: deprecated path, kept for one release; include "skin/input/label_map.hpp" instead.
#pragma once
#include "skin/input/label_map.hpp"  // IWYU pragma: export
