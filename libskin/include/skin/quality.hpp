// skin/quality.hpp: deprecated path, kept for one release; include "skin/model/quality.hpp" instead.
#pragma once
#include "skin/model/quality.hpp"  // IWYU pragma: export
