// skin/sharding.hpp: deprecated path, kept for one release; include "skin/inference/sharding.hpp" instead.
#pragma once
#include "skin/inference/sharding.hpp"  // IWYU pragma: export
