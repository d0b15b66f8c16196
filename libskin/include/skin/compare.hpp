// skin/compare.hpp: deprecated path, kept for one release; include "skin/evaluation/compare.hpp" instead.
#pragma once
#include "skin/evaluation/compare.hpp"  // IWYU pragma: export
