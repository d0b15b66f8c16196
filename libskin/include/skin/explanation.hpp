// skin/explanation.hpp: deprecated path, kept for one release; include "skin/explain/explanation.hpp" instead.
#pragma once
#include "skin/explain/explanation.hpp"  // IWYU pragma: export
