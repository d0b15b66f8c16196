// skin/responses.hpp: deprecated path, kept for one release; include "skin/serve/responses.hpp" instead.
#pragma once
#include "skin/serve/responses.hpp"  // IWYU pragma: export
