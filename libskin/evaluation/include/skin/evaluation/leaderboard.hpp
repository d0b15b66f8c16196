// skin/evaluation/leaderboard.hpp: several models evaluated on the same images (evaluate -m A -m B
// ...): a table sorted by one metric, with its intervals, and paired tests of every model against
// the first (the reference) on the images both scored: McNemar's exact test on top-1 correctness,
// DeLong's paired test of the malignant AUC, and a paired bootstrap of the balanced-accuracy
// difference. As timm's validate.py does for a list of checkpoints, for one decode of the images.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "skin/evaluation/scoring.hpp"

namespace skin {

struct LeaderboardOptions {
  std::string sort_by = "balanced_accuracy";  // a report metric; lower-is-better metrics sort ascending
  int bootstrap = 1000;                       // paired resamples for the balanced-accuracy difference
  std::uint64_t seed = 0;
  // Image id -> cluster (lesion, patient: evaluate --cluster-by); empty: images are the unit.
  std::unordered_map<std::string, std::size_t> cluster_of;
  std::string cluster_by;  // the column, for the record
};

// Error(usage) unless `sort_by` is a report metric (gates.hpp's report_metric_names).
void validate_leaderboard_options(const LeaderboardOptions& options);

// `reports[k]` is make_report of `scorings[k]`; model 0 is the reference of the paired tests.
// {sort_by, rows: [{rank, model, name, version, metric, ci, accuracy, balanced_accuracy, macro_auc,
// ece, malignant_auc, scored}], pairwise: [{model, reference, paired_images, mcnemar: {...},
// delong_malignant: {...} | null, balanced_accuracy_difference: {estimate, ci, p_value}}],
// definitions}.
nlohmann::json leaderboard(const std::vector<nlohmann::json>& reports, const std::vector<Scoring>& scorings,
                           const LeaderboardOptions& options);

// A fixed-width table for the terminal, and a Markdown section for CI summaries.
std::string leaderboard_text(const nlohmann::json& board);
std::string leaderboard_markdown(const nlohmann::json& board);

}  // namespace skin
