// skin/upload_page.hpp: deprecated path, kept for one release; include "skin/serve/upload_page.hpp" instead.
#pragma once
#include "skin/serve/upload_page.hpp"  // IWYU pragma: export
