// skin/scoring.hpp: deprecated path, kept for one release; include "skin/evaluation/scoring.hpp" instead.
#pragma once
#include "skin/evaluation/scoring.hpp"  // IWYU pragma: export
