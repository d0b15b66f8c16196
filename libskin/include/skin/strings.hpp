// skin/strings.hpp: deprecated path, kept for one release; include "skin/core/strings.hpp" instead.
#pragma once
#include "skin/core/strings.hpp"  // IWYU pragma: export
