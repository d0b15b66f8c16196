// skin/input_source.hpp: deprecated path, kept for one release; include "skin/input/input_source.hpp" instead.
#pragma once
#include "skin/input/input_source.hpp"  // IWYU pragma: export
