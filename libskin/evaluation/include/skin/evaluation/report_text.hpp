// skin/evaluation/report_text.hpp: the readable summary `evaluate` prints: dataset counts, per-class table
// with AUC intervals, headline metrics, operating points, selective prediction, applied
// thresholds and the subgroup table with disparity.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace skin {

std::string report_summary_text(const nlohmann::json& report);

}  // namespace skin
