// skin/quality.hpp: deprecated path, kept for one release; include "skin/explain/quality.hpp" instead.
#pragma once
#include "skin/explain/quality.hpp"  // IWYU pragma: export
