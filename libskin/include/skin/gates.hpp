// skin/gates.hpp: CI gates on an evaluation report: METRIC=VALUE thresholds on its headline
// metrics. (Regression gates against a baseline report live in compare.hpp.)
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace skin {

// "METRIC=VALUE" -> (METRIC, VALUE); Error(usage) unless it has that form.
std::pair<std::string, double> parse_gate(const std::string& gate);

// "METRIC=VALUE" gates against report["metrics"]; returns one line per failed gate.
// Throws Error(usage) for a malformed gate or an unknown metric.
std::vector<std::string> check_gates(const nlohmann::json& report, const std::vector<std::string>& fail_under,
                                     const std::vector<std::string>& fail_over);

}  // namespace skin
