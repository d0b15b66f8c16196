// skin/output_file.hpp: deprecated path, kept for one release; include "skin/core/output_file.hpp" instead.
#pragma once
#include "skin/core/output_file.hpp"  // IWYU pragma: export
