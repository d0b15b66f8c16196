// skin/evaluation/shift.hpp: evaluate --shift: a model's metrics on a labelled dataset under each synthetic
// acquisition change (corruptions.hpp) at severities 0-5, from one decode of each image.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
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
//   and, at severities 1-5, "paired": the image-by-image change against severity 0 (paired_change.hpp);
// - "shift_summary": mean over corruptions and severities 1-5, relative corruption error per
//   corruption and on average, mean flip rate and malignant change per corruption, the worst case,
//   the largest malignant change (and among artefacts alone, when any ran);
// - metrics shift_mean_balanced_accuracy, shift_mean_corruption_error,
//   shift_worst_balanced_accuracy, shift_max_top1_flip_rate and shift_max_malignant_change (the
//   largest absolute mean change), for gates.
// Malignant sensitivity and calls use the report's malignant threshold (thresholds_applied, else
// 0.5). Paired intervals take options.bootstrap resamples (1000 when it is 0) with options.seed,
// resampling clusters when `cluster_of` maps ids to clusters.
void add_shift_section(nlohmann::json& report, const ShiftScorings& scorings, const ReportOptions& options,
                       const std::unordered_map<std::string, std::size_t>& cluster_of = {});

// The largest malignant change a summary quotes from a report's "shift_summary": among the
// artefacts when any ran (they are what a reader acts on), else over every corruption; null when
// neither is there. `artefact` tells which.
struct HeadlineMalignantChange {
  nlohmann::json entry;
  bool artefact = false;
};
HeadlineMalignantChange headline_malignant_change(const nlohmann::json& shift_summary);

}  // namespace skin
