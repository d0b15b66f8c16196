// skin/report.hpp: the versioned JSON evaluation report (schema in README "evaluate") built
// from a scoring, and its readable summary table.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "skin/dataset.hpp"
#include "skin/scoring.hpp"

namespace skin {

inline constexpr int kReportSchemaVersion = 1;

struct ReportOptions {
  int bootstrap = 0;  // resamples; 0 disables confidence intervals
  std::uint64_t seed = 0;
  int calibration_bins = 15;
  std::string split;  // id list the dataset was restricted to, for the record
};

nlohmann::json make_report(const Dataset& dataset, const Scoring& scoring, const ReportOptions& options);

// The summary `evaluate` prints: dataset counts, per-class table, headline metrics.
std::string report_summary_text(const nlohmann::json& report);

}  // namespace skin
