// skin/evaluation/subset_metrics.hpp: the headline metrics of any subset of scored items, with integer
// weights per item, so that a bootstrap resample (weights = how often each item was drawn) costs
// one pass over presorted scores instead of a sort: what subgroup tables and their confidence
// intervals need. Definitions match compute_metrics() and binary_metrics() (tests check it).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "skin/evaluation/metrics.hpp"
#include "skin/evaluation/scoring.hpp"

namespace skin {

// The scored items in one table: truth, probability rows and the malignant-vs-benign view.
struct ScoreTable {
  std::size_t classes = 0;
  std::vector<int> truth;
  std::vector<double> probabilities;  // truth.size() rows of `classes`
  bool has_binary = false;            // whether the malignant view exists (the model names malignant labels)
  std::vector<bool> malignant_truth;
  std::vector<double> malignant_score;  // summed malignant probability
  // The resampling unit of each item (a lesion or patient index from --cluster-by); empty: every
  // item is its own unit. Images of one lesion are correlated, so CIs must resample lesions.
  std::vector<std::size_t> cluster;
  std::size_t size() const { return truth.size(); }
  // Class k against the rest: membership and class k's probability, per item.
  std::pair<std::vector<bool>, std::vector<double>> one_vs_rest(std::size_t k) const;
  // Per item: the top probability and whether its class is the truth (first maximum on ties).
  std::pair<std::vector<double>, std::vector<bool>> top_label() const;
};

// The scored items as one table; the malignant view exists when the scoring names malignant labels.
ScoreTable score_table(const Scoring& scoring);

struct SubsetSummary {
  double n = 0;  // total weight
  double accuracy = 0, balanced_accuracy = 0, macro_f1 = 0, ece = 0;
  std::optional<double> macro_auc;
  std::vector<std::optional<double>> class_auc;  // per class, one-vs-rest
  std::optional<double> malignant_sensitivity, malignant_specificity, malignant_auc;
};

// Names of the SubsetSummary values as they appear in reports (same as the top-level metrics
// and, for the binary view, prefixed "malignant_"), and a lookup by name.
const std::vector<std::string>& subset_metric_names();
std::optional<double> subset_metric(const SubsetSummary& s, const std::string& name);
bool subset_metric_lower_is_better(const std::string& name);

class SubsetMetrics {
 public:
  SubsetMetrics(const ScoreTable& table, std::vector<std::size_t> rows, int calibration_bins = 15);
  // `weights[i]` is the weight of rows[i]; all 1 for the subset itself.
  SubsetSummary compute(const std::vector<std::uint32_t>& weights) const;
  SubsetSummary compute() const { return compute(std::vector<std::uint32_t>(rows_.size(), 1)); }
  const std::vector<std::size_t>& rows() const { return rows_; }

  // One bootstrap resample, as weights per row. Without clusters: within each true class, as many
  // draws (with replacement) as the class has items, so every resample keeps the class counts.
  // With clusters: whole clusters are drawn and each of their items weighs the cluster's count;
  // stratified by class when every cluster holds one true class (lesions do), else over all
  // clusters at once (patients may hold several diagnoses).
  std::vector<std::uint32_t> resample(std::mt19937_64& rng) const;
  std::size_t cluster_count() const { return clusters_.size(); }  // 0 without clusters
  bool clusters_stratified() const { return clusters_stratified_; }

 private:
  const ScoreTable& t_;
  std::vector<std::size_t> rows_;
  int bins_;
  std::vector<std::size_t> pred_, bin_;
  std::vector<double> conf_;

 public:
  struct Ranked {
    std::size_t position;  // index into rows() and the weight vector
    double score;
    bool positive;
  };

 private:
  std::vector<std::vector<Ranked>> class_ranked_;  // per class: items by probability, descending
  std::vector<Ranked> malignant_ranked_;
  std::vector<std::vector<std::size_t>> by_class_;        // positions of each true class
  std::vector<std::vector<std::size_t>> clusters_;        // positions of each cluster in the subset
  std::vector<std::vector<std::size_t>> cluster_strata_;  // cluster indices per stratum
  bool clusters_stratified_ = false;
  std::vector<std::uint32_t> stratified_resample(std::mt19937_64& rng) const;
  std::vector<std::uint32_t> cluster_resample(std::mt19937_64& rng) const;
  void group_clusters();
};

struct BootstrapSummary {
  int resamples = 0;
  std::map<std::string, Interval> intervals;  // by subset metric name, and "auc:<class index>"
};

// Percentile intervals (2.5%, 97.5%) of every metric over resamples (SubsetMetrics::resample); metrics
// undefined in a resample (e.g. AUC without negatives) skip that resample.
BootstrapSummary bootstrap_subset(const SubsetMetrics& subset, int resamples, std::uint64_t seed);

// The generator of resample r of a bootstrap seeded `seed`: every bootstrap in the library draws
// resample r from it, so results do not depend on threads (and tests can replay a resample).
std::mt19937_64 resample_generator(std::uint64_t seed, std::size_t r);

// The weights of each resample of bootstrap_subset (what a reference check replays).
std::vector<std::vector<std::uint32_t>> bootstrap_weights(const SubsetMetrics& subset, int resamples,
                                                          std::uint64_t seed);

}  // namespace skin
