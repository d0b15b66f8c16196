// skin/explain/quality.hpp: moved to the model group (audit counts quality flags too); kept for one
// release. Include "skin/model/quality.hpp" instead.
#pragma once
#include "skin/model/quality.hpp"  // IWYU pragma: export
