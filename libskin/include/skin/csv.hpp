// skin/csv.hpp: deprecated path, kept for one release; include "skin/core/csv.hpp" instead.
#pragma once
#include "skin/core/csv.hpp"  // IWYU pragma: export
