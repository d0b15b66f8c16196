// skin/report_text.hpp: deprecated path, kept for one release; include "skin/evaluation/report_text.hpp" instead.
#pragma once
#include "skin/evaluation/report_text.hpp"  // IWYU pragma: export
