// skin/color_constancy.hpp: deprecated path, kept for one release; include "skin/model/color_constancy.hpp" instead.
#pragma once
#include "skin/model/color_constancy.hpp"  // IWYU pragma: export
