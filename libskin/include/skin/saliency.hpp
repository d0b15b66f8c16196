// skin/saliency.hpp: deprecated path, kept for one release; include "skin/explain/saliency.hpp" instead.
#pragma once
#include "skin/explain/saliency.hpp"  // IWYU pragma: export
