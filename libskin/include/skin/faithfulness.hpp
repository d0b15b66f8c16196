// skin/faithfulness.hpp: deprecated path, kept for one release; include "skin/explain/faithfulness.hpp" instead.
#pragma once
#include "skin/explain/faithfulness.hpp"  // IWYU pragma: export
