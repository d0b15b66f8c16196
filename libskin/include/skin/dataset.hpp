// skin/dataset.hpp: deprecated path, kept for one release; include "skin/input/dataset.hpp" instead.
#pragma once
#include "skin/input/dataset.hpp"  // IWYU pragma: export
