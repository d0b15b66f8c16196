// skin/selective.hpp: deprecated path, kept for one release; include "skin/evaluation/selective.hpp" instead.
#pragma once
#include "skin/evaluation/selective.hpp"  // IWYU pragma: export
