// skin/delong.hpp: deprecated path, kept for one release; include "skin/evaluation/delong.hpp" instead.
#pragma once
#include "skin/evaluation/delong.hpp"  // IWYU pragma: export
