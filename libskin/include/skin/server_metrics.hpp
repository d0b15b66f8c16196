// skin/server_metrics.hpp: deprecated path, kept for one release; include "skin/serve/server_metrics.hpp" instead.
#pragma once
#include "skin/serve/server_metrics.hpp"  // IWYU pragma: export
