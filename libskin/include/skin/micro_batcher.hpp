// skin/micro_batcher.hpp: deprecated path, kept for one release; include "skin/serve/micro_batcher.hpp" instead.
#pragma once
#include "skin/serve/micro_batcher.hpp"  // IWYU pragma: export
