// skin/adaptation.hpp: deprecated path, kept for one release; include "skin/model/adaptation.hpp" instead.
#pragma once
#include "skin/model/adaptation.hpp"  // IWYU pragma: export
