// gates.cpp: METRIC=VALUE thresholds checked against a report's metrics.
#include "skin/gates.hpp"

#include <fmt/format.h>

#include "skin/error.hpp"

namespace skin {

std::pair<std::string, double> parse_gate(const std::string& gate) {
  auto eq = gate.find('=');
  double limit = 0;
  std::size_t used = 0;
  if (eq != std::string::npos && eq > 0) {
    try {
      limit = std::stod(gate.substr(eq + 1), &used);
    } catch (const std::exception&) {
      used = 0;
    }
  }
  if (eq == std::string::npos || eq == 0 || used == 0 || used != gate.size() - eq - 1)
    throw Error(ErrorKind::usage, fmt::format("gate '{}' must look like METRIC=VALUE", gate));
  return {gate.substr(0, eq), limit};
}

std::vector<std::string> check_gates(const nlohmann::json& report, const std::vector<std::string>& fail_under,
                                     const std::vector<std::string>& fail_over) {
  std::vector<std::string> failures;
  auto check = [&](const std::string& gate, bool under) {
    const auto [name, limit] = parse_gate(gate);
    const auto& metrics = report.at("metrics");
    if (!metrics.contains(name))
      throw Error(ErrorKind::usage, fmt::format("gate '{}': unknown metric '{}'", gate, name));
    if (metrics[name].is_null()) {
      failures.push_back(fmt::format("{} is undefined for this data (gate {} {})", name, under ? ">=" : "<=", limit));
      return;
    }
    double value = metrics[name].get<double>();
    if (under && value < limit) failures.push_back(fmt::format("{} = {:.4f} is below {}", name, value, limit));
    if (!under && value > limit) failures.push_back(fmt::format("{} = {:.4f} is above {}", name, value, limit));
  };
  for (const auto& g : fail_under) check(g, true);
  for (const auto& g : fail_over) check(g, false);
  return failures;
}

}  // namespace skin
