// skin/evaluation/paired_change.hpp: what a change to the images (a corruption, an artefact) does
// to each image's prediction, paired image by image against the unchanged images: how often the
// top-1 class flips, how far the malignant probability moves (mean with a bootstrap interval and a
// Wilcoxon signed-rank p-value) and how often the malignant call flips at the applied threshold.
// Paired statistics see effects that aggregate metrics hide (a shift that raises every malignant
// probability can leave balanced accuracy unchanged).
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "skin/core/wilcoxon.hpp"
#include "skin/evaluation/scoring.hpp"

namespace skin {

struct PairedChange {
  std::size_t n = 0;                 // images scored both ways
  double top1_flip_rate = 0;         // share whose top-1 class differs (first maximum on ties)
  bool has_malignant = false;        // the model names malignant classes
  double mean_malignant_change = 0;  // mean of (changed - unchanged) summed malignant probability
  double ci_low = 0, ci_high = 0;    // percentile bootstrap interval of that mean (95%)
  int resamples = 0;
  SignedRankTest wilcoxon;
  double malignant_threshold = 0.5;
  double malignant_call_flip_rate = 0;           // share whose call (probability >= threshold) differs
  std::size_t calls_gained = 0, calls_lost = 0;  // benign -> malignant, malignant -> benign
};

// Pairs the items of `changed` with those of `unchanged` by id (items in one only are left out).
// The interval resamples images (`resamples` draws of resample_generator(seed, r)), or whole
// clusters when `cluster_of` maps ids to cluster indices (cluster_of_ids: --cluster-by).
PairedChange paired_change(const Scoring& unchanged, const Scoring& changed, double malignant_threshold, int resamples,
                           std::uint64_t seed, const std::unordered_map<std::string, std::size_t>& cluster_of = {});

// The bootstrap means of `differences`, resample by resample (what the reference check replays);
// `cluster`: one cluster index per difference, or empty to resample single differences.
std::vector<double> paired_change_resample_means(const std::vector<double>& differences, int resamples,
                                                 std::uint64_t seed, const std::vector<std::size_t>& cluster = {});

nlohmann::json paired_change_json(const PairedChange& change);

}  // namespace skin
