// skin/report.hpp: deprecated path, kept for one release; include "skin/evaluation/report.hpp" instead.
#pragma once
#include "skin/evaluation/report.hpp"  // IWYU pragma: export
