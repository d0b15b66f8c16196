// skin/evaluation/subgroups.hpp: metrics per subgroup of a dataset (by any metadata column: site, sex,
// age band, acquisition type, image source, skin tone from a joined CSV), with bootstrap
// intervals, the disparity between groups, and gates on both.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "skin/evaluation/subset_metrics.hpp"

namespace skin {

struct SubgroupOptions {
  std::vector<std::string> columns;
  std::vector<double> bins;  // edges for numeric columns, e.g. 0,30,50,70,120 -> [0,30), [30,50), ...
  std::size_t min_group_n = 20;
  int bootstrap = 0;
  std::uint64_t seed = 0;
  int calibration_bins = 15;
};

// The group of each row for one column: its value, its bin "[lo,hi)" when the column is numeric
// (every non-empty value a number) and bins are given, "(missing)" when empty or out of range.
// Error(usage) when no row has the column.
std::vector<std::string> group_values(const std::vector<const std::map<std::string, std::string>*>& attributes,
                                      const std::string& column, const std::vector<double>& bins);

// {"subgroups": [{column, group, n, flagged_small, metrics, ci?}], "disparity": {metric: {...}}}.
// `attributes[i]` belongs to row i of `table`.
nlohmann::json subgroup_report(const ScoreTable& table,
                               const std::vector<const std::map<std::string, std::string>*>& attributes,
                               const SubgroupOptions& options);

// "METRIC=VALUE" gates: every group that is not flagged small must reach VALUE
// (--fail-under-group; for ece: stay at or below), and the largest gap between groups must not
// exceed VALUE (--max-gap). One line per failure; Error(usage) for malformed gates.
std::vector<std::string> check_group_gates(const nlohmann::json& report,
                                           const std::vector<std::string>& fail_under_group,
                                           const std::vector<std::string>& max_gap);

}  // namespace skin
