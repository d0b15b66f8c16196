// subgroups.cpp: per-group metrics, disparity and group gates.
#include "skin/evaluation/subgroups.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "skin/core/error.hpp"
#include "skin/evaluation/gates.hpp"

namespace skin {
namespace {

constexpr const char* kMissing = "(missing)";

bool parse_number(const std::string& s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return *end == '\0' && std::isfinite(out);
}

std::string bin_label(double lo, double hi) { return fmt::format("[{:g},{:g})", lo, hi); }

nlohmann::json optional_json(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

// The rows of each group, in a stable order: bins in edge order, other values sorted, "(missing)" last.
using GroupRows = std::vector<std::pair<std::string, std::vector<std::size_t>>>;
GroupRows rows_by_group(const std::vector<std::string>& values, const std::vector<double>& bins) {
  std::map<std::string, std::vector<std::size_t>> rows;
  for (std::size_t i = 0; i < values.size(); ++i) rows[values[i]].push_back(i);
  std::vector<std::string> order;
  for (std::size_t b = 0; b + 1 < bins.size(); ++b)
    if (rows.count(bin_label(bins[b], bins[b + 1]))) order.push_back(bin_label(bins[b], bins[b + 1]));
  for (const auto& [name, r] : rows)
    if (name != kMissing && std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
  if (rows.count(kMissing)) order.push_back(kMissing);
  GroupRows out;
  for (const auto& name : order) out.emplace_back(name, rows[name]);
  return out;
}

// One group's entry: n, whether it is too small for disparity and gates, its metrics and intervals.
nlohmann::json group_entry(const ScoreTable& table, const SubsetMetrics& subset, const SubsetSummary& s,
                           const std::string& column, const std::string& name, const SubgroupOptions& o) {
  using nlohmann::json;
  json metrics = json::object();
  for (const auto& m : subset_metric_names()) {
    if (!table.has_binary && m.rfind("malignant_", 0) == 0) continue;
    metrics[m] = optional_json(subset_metric(s, m));
  }
  json g = {{"column", column},
            {"group", name},
            {"n", subset.rows().size()},
            {"flagged_small", subset.rows().size() < o.min_group_n},
            {"metrics", metrics}};
  if (o.bootstrap > 0) {
    const auto boot = bootstrap_subset(subset, o.bootstrap, o.seed);
    json ci = json::object();
    for (const auto& [m, v] : metrics.items())
      if (auto it = boot.intervals.find(m); it != boot.intervals.end()) ci[m] = {it->second.lower, it->second.upper};
    g["ci"] = ci;
  }
  return g;
}

struct EligibleGroup {
  std::string column, group;
  SubsetSummary summary;
};

// Per metric, over the groups large enough (all of them, and per column): the worst group, the
// largest gap and the smallest ratio.
nlohmann::json disparity_section(const ScoreTable& table, const std::vector<EligibleGroup>& eligible,
                                 const std::vector<std::string>& columns) {
  using nlohmann::json;
  json disparity = json::object();
  for (const auto& m : subset_metric_names()) {
    if (!table.has_binary && m.rfind("malignant_", 0) == 0) continue;
    const bool lower_better = subset_metric_lower_is_better(m);
    auto summarise = [&](const std::string& only_column) -> json {
      const EligibleGroup* worst = nullptr;
      double lo = 0, hi = 0;
      std::size_t count = 0;
      for (const auto& e : eligible) {
        if (!only_column.empty() && e.column != only_column) continue;
        auto v = subset_metric(e.summary, m);
        if (!v) continue;
        if (count == 0 || *v < lo) lo = *v;
        if (count == 0 || *v > hi) hi = *v;
        const double worst_value = worst ? *subset_metric(worst->summary, m) : 0;
        if (!worst || (lower_better ? *v > worst_value : *v < worst_value)) worst = &e;
        ++count;
      }
      if (count == 0) return nullptr;
      return {{"worst_group", only_column.empty() ? worst->column + "=" + worst->group : worst->group},
              {"worst_value", *subset_metric(worst->summary, m)},
              {"max_gap", hi - lo},
              {"min_ratio", hi > 0 ? json(lo / hi) : json()},
              {"groups_compared", count}};
    };
    json entry = summarise("");
    if (entry.is_null()) {
      disparity[m] = nullptr;
      continue;
    }
    json by_column = json::object();
    for (const auto& column : columns) by_column[column] = summarise(column);
    entry["by_column"] = by_column;
    disparity[m] = entry;
  }
  return disparity;
}

}  // namespace

std::vector<std::string> group_values(const std::vector<const std::map<std::string, std::string>*>& attributes,
                                      const std::string& column, const std::vector<double>& bins) {
  std::vector<std::string> raw(attributes.size());
  bool present = false, numeric = true;
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    auto it = attributes[i]->find(column);
    if (it == attributes[i]->end()) continue;
    present = true;
    raw[i] = it->second;
    double v;
    if (!raw[i].empty() && !parse_number(raw[i], v)) numeric = false;
  }
  if (!present)
    throw Error(ErrorKind::usage, fmt::format("--group-by {}: no scored item has this column (HAM10000 has sex, age, "
                                              "localization, dx_type, dataset; others come from --metadata CSV)",
                                              column));
  std::vector<std::string> out(raw.size(), kMissing);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i].empty()) continue;
    double v;
    if (numeric && bins.size() >= 2 && parse_number(raw[i], v)) {
      for (std::size_t b = 0; b + 1 < bins.size(); ++b)
        if (v >= bins[b] && v < bins[b + 1]) out[i] = bin_label(bins[b], bins[b + 1]);
    } else {
      out[i] = raw[i];
    }
  }
  return out;
}

nlohmann::json subgroup_report(const ScoreTable& table,
                               const std::vector<const std::map<std::string, std::string>*>& attributes,
                               const SubgroupOptions& o) {
  using nlohmann::json;
  json groups = json::array();
  std::vector<EligibleGroup> eligible;
  for (const auto& column : o.columns) {
    const GroupRows by_group = rows_by_group(group_values(attributes, column, o.bins), o.bins);
    for (const auto& [name, rows] : by_group) {
      SubsetMetrics subset(table, rows, o.calibration_bins);
      const SubsetSummary s = subset.compute();
      groups.push_back(group_entry(table, subset, s, column, name, o));
      if (rows.size() >= o.min_group_n) eligible.push_back({column, name, s});
    }
  }
  return {{"subgroups", groups},
          {"disparity", disparity_section(table, eligible, o.columns)},
          {"subgroup_options",
           {{"columns", o.columns},
            {"bins", o.bins},
            {"min_group_n", o.min_group_n},
            {"bootstrap_unit", table.cluster.empty() ? "image" : "cluster (see confidence_intervals.unit)"},
            {"disparity_rule",
             "over groups with n >= min_group_n; max_gap = highest - lowest value; min_ratio = "
             "lowest / highest; worst = lowest (highest for ece)"}}}};
}

std::vector<std::string> check_group_gates(const nlohmann::json& report,
                                           const std::vector<std::string>& fail_under_group,
                                           const std::vector<std::string>& max_gap) {
  std::vector<std::string> failures;
  if ((!fail_under_group.empty() || !max_gap.empty()) && !report.contains("subgroups"))
    throw Error(ErrorKind::usage, "--fail-under-group and --max-gap need --group-by");
  for (const auto& gate : fail_under_group) {
    const auto [name, limit] = parse_gate(gate);
    if (std::find(subset_metric_names().begin(), subset_metric_names().end(), name) == subset_metric_names().end())
      throw Error(ErrorKind::usage, fmt::format("gate '{}': unknown group metric '{}' (use {})", gate, name,
                                                fmt::join(subset_metric_names(), ", ")));
    const bool lower_better = subset_metric_lower_is_better(name);
    for (const auto& g : report["subgroups"]) {
      if (g["flagged_small"].get<bool>()) continue;
      const auto& v = g["metrics"].value(name, nlohmann::json());
      const std::string who = fmt::format("{}={}", g["column"].get<std::string>(), g["group"].get<std::string>());
      if (v.is_null()) {
        failures.push_back(
            fmt::format("{} is undefined for group {} (gate {} {})", name, who, lower_better ? "<=" : ">=", limit));
      } else if (lower_better ? v.get<double>() > limit : v.get<double>() < limit) {
        failures.push_back(fmt::format("{} = {:.4f} for group {} (n = {}) is {} {}", name, v.get<double>(), who,
                                       g["n"].get<std::size_t>(), lower_better ? "above" : "below", limit));
      }
    }
  }
  for (const auto& gate : max_gap) {
    const auto [name, limit] = parse_gate(gate);
    const auto& d = report["disparity"].value(name, nlohmann::json());
    if (!report["disparity"].contains(name))
      throw Error(ErrorKind::usage, fmt::format("gate '{}': unknown group metric '{}'", gate, name));
    if (d.is_null()) {
      failures.push_back(fmt::format("{}: no two groups large enough to compare (gate max gap {})", name, limit));
    } else if (d["max_gap"].get<double>() > limit) {
      failures.push_back(fmt::format("{} gap between groups = {:.4f} is above {} (worst group {})", name,
                                     d["max_gap"].get<double>(), limit, d["worst_group"].get<std::string>()));
    }
  }
  return failures;
}

}  // namespace skin
