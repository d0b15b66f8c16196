// skin/error.hpp: deprecated path, kept for one release; include "skin/core/error.hpp" instead.
#pragma once
#include "skin/core/error.hpp"  // IWYU pragma: export
