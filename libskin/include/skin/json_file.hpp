// skin/json_file.hpp: deprecated path, kept for one release; include "skin/core/json_file.hpp" instead.
#pragma once
#include "skin/core/json_file.hpp"  // IWYU pragma: export
