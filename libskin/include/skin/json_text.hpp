// skin/json_text.hpp: deprecated path, kept for one release; include "skin/core/json_text.hpp" instead.
#pragma once
#include "skin/core/json_text.hpp"  // IWYU pragma: export
