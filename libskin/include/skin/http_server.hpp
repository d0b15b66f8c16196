// skin/http_server.hpp: deprecated path, kept for one release; include "skin/serve/http_server.hpp" instead.
#pragma once
#include "skin/serve/http_server.hpp"  // IWYU pragma: export
