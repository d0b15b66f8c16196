// skin/classifier.hpp: deprecated path, kept for one release; include "skin/model/classifier.hpp" instead.
#pragma once
#include "skin/model/classifier.hpp"  // IWYU pragma: export
