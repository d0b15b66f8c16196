// skin/evaluation/report.hpp: the versioned JSON evaluation report (schema in README "evaluate") built
// from a scoring, and its readable summary table.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "skin/evaluation/scoring.hpp"
#include "skin/evaluation/subgroups.hpp"
#include "skin/evaluation/subset_metrics.hpp"
#include "skin/input/dataset.hpp"

namespace skin {

inline constexpr int kReportSchemaVersion = 1;

struct ReportOptions {
  int bootstrap = 0;  // resamples; 0 disables bootstrap intervals
  std::uint64_t seed = 0;
  // Metadata column whose values are the bootstrap's unit (lesion_id, patient_id); empty: images.
  // Intervals, subgroup intervals and the leaderboard's paired bootstrap then resample clusters.
  std::string cluster_by;
  int calibration_bins = 15;
  std::string split;   // id list the dataset was restricted to, for the record
  std::string auc_ci;  // "delong" or "bootstrap"; empty: bootstrap when bootstrap > 0, else delong
  std::vector<double> sens_at_spec{0.90, 0.95}, spec_at_sens{0.90, 0.95};
  double pauc_sensitivity = 0.80;  // ISIC 2018 auc_sens_80
  double max_fpr = 0.20;           // sklearn's standardised partial AUC
  std::string pick_threshold;      // youden, sens=X or spec=X; empty: none
  nlohmann::json thresholds;       // {"label": threshold, "malignant": ...} to apply; null: none
  std::string thresholds_source;   // where they came from, for the record
  double target_coverage = 0.80, target_risk = 0.05;
  SubgroupOptions subgroups;  // no columns: no subgroup table
};

nlohmann::json make_report(const Dataset& dataset, const Scoring& scoring, const ReportOptions& options);

}  // namespace skin
