// skin/explainer.hpp: deprecated path, kept for one release; include "skin/explain/explainer.hpp" instead.
#pragma once
#include "skin/explain/explainer.hpp"  // IWYU pragma: export
