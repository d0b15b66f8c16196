// skin/roc.hpp: deprecated path, kept for one release; include "skin/evaluation/roc.hpp" instead.
#pragma once
#include "skin/evaluation/roc.hpp"  // IWYU pragma: export
