// skin/evaluation/shift.hpp: evaluate --shift: a model's metrics on a labelled dataset under each synthetic
// acquisition change (corruptions.hpp) at severities 0-5, from one decode of each image.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

#include "skin/evaluation/report.hpp"
#include "skin/evaluation/scoring.hpp"
#include "skin/robustness/corruptions.hpp"

namespace skin {

struct ShiftOptions {
  std::vector<Corruption> corruptions = all_corruptions();
  std::uint64_t seed = 1;  // noise's draws (with each image's id)
};

struct ShiftScorings {
  std::vector<Corruption> corruptions;
  std::uint64_t seed = 1;
  Scoring clean;                                // severity 0
  std::vector<std::vector<Scoring>> corrupted;  // [corruption][severity - 1]
};

// Each image is read and decoded once; its kMaxSeverity versions per corruption are made from the
// decoded pixels on the decode workers and classified with it.
ShiftScorings score_under_shift(const Dataset& dataset, Classifier& classifier, const PipelineOptions& options,
                                const ShiftOptions& shift,
                                const std::function<void(const PipelineStats&)>& progress = {},
                                const LabelMap& label_map = {});

// Adds to an evaluation report made from `scorings.clean`:
// - "shift": one entry per corruption name, a list for severities 0-5 of {severity, accuracy,
//   balanced_accuracy, macro_auc, ece, malignant_sensitivity, malignant_specificity, drop: {the
//   same metrics at severity 0 minus here}};
// - "shift_summary": mean over corruptions and severities 1-5, relative corruption error per
//   corruption and on average, and the worst case;
// - metrics shift_mean_balanced_accuracy, shift_mean_corruption_error and
//   shift_worst_balanced_accuracy, for gates.
// Malignant sensitivity uses the report's malignant threshold (thresholds_applied, else 0.5).
void add_shift_section(nlohmann::json& report, const ShiftScorings& scorings, const ReportOptions& options);

}  // namespace skin
