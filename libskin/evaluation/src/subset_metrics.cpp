// subset_metrics.cpp: weighted headline metrics over presorted scores, and the stratified bootstrap.
#include "skin/evaluation/subset_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <thread>
#include <unordered_map>

namespace skin {
namespace {

// Weighted Mann-Whitney AUC over items presorted by score (descending); ties count half.
// `sorted` holds, per rank, the item's position (for its weight), score and class membership.
std::optional<double> weighted_auc(const std::vector<SubsetMetrics::Ranked>& sorted,
                                   const std::vector<std::uint32_t>& w) {
  double pos_total = 0, neg_total = 0;
  for (const auto& r : sorted) (r.positive ? pos_total : neg_total) += w[r.position];
  if (pos_total == 0 || neg_total == 0) return std::nullopt;
  double above_neg = 0, numerator = 0;
  for (std::size_t a = 0; a < sorted.size();) {
    std::size_t b = a;
    double pos = 0, neg = 0;
    while (b < sorted.size() && sorted[b].score == sorted[a].score) {
      (sorted[b].positive ? pos : neg) += w[sorted[b].position];
      ++b;
    }
    numerator += pos * (neg_total - above_neg - neg) + 0.5 * pos * neg;
    above_neg += neg;
    a = b;
  }
  return numerator / (pos_total * neg_total);
}

}  // namespace

std::pair<std::vector<bool>, std::vector<double>> ScoreTable::one_vs_rest(std::size_t k) const {
  std::vector<bool> positive(size());
  std::vector<double> score(size());
  for (std::size_t i = 0; i < size(); ++i) {
    positive[i] = std::size_t(truth[i]) == k;
    score[i] = probabilities[i * classes + k];
  }
  return {positive, score};
}

std::pair<std::vector<double>, std::vector<bool>> ScoreTable::top_label() const {
  std::vector<double> confidence(size());
  std::vector<bool> correct(size());
  for (std::size_t i = 0; i < size(); ++i) {
    const std::size_t best = argmax_row(probabilities.data() + i * classes, classes);
    confidence[i] = probabilities[i * classes + best];
    correct[i] = int(best) == truth[i];
  }
  return {confidence, correct};
}

const std::vector<std::string>& subset_metric_names() {
  static const std::vector<std::string> names{"accuracy",
                                              "balanced_accuracy",
                                              "macro_f1",
                                              "macro_auc",
                                              "ece",
                                              "malignant_sensitivity",
                                              "malignant_specificity",
                                              "malignant_auc"};
  return names;
}

std::optional<double> subset_metric(const SubsetSummary& s, const std::string& name) {
  if (name == "accuracy") return s.accuracy;
  if (name == "balanced_accuracy") return s.balanced_accuracy;
  if (name == "macro_f1") return s.macro_f1;
  if (name == "macro_auc") return s.macro_auc;
  if (name == "ece") return s.ece;
  if (name == "malignant_sensitivity") return s.malignant_sensitivity;
  if (name == "malignant_specificity") return s.malignant_specificity;
  if (name == "malignant_auc") return s.malignant_auc;
  return std::nullopt;
}

bool subset_metric_lower_is_better(const std::string& name) { return name == "ece"; }

SubsetMetrics::SubsetMetrics(const ScoreTable& table, std::vector<std::size_t> rows, int calibration_bins)
    : t_(table), rows_(std::move(rows)), bins_(calibration_bins) {
  const std::size_t c = t_.classes, n = rows_.size();
  pred_.resize(n);
  bin_.resize(n);
  conf_.resize(n);
  by_class_.assign(c, {});
  for (std::size_t i = 0; i < n; ++i) {
    const double* row = t_.probabilities.data() + rows_[i] * c;
    pred_[i] = argmax_row(row, c);
    conf_[i] = row[pred_[i]];
    bin_[i] = std::size_t(calibration_bin(conf_[i], bins_));
    by_class_[std::size_t(t_.truth[rows_[i]])].push_back(i);
  }
  if (!t_.cluster.empty()) group_clusters();
  // Sorted once here, so a resample costs one linear pass per class.
  auto ranked = [&](auto score_of, auto positive_of) {
    std::vector<Ranked> r(n);
    for (std::size_t i = 0; i < n; ++i) r[i] = {i, score_of(i), positive_of(i)};
    std::stable_sort(r.begin(), r.end(), [](const Ranked& a, const Ranked& b) { return a.score > b.score; });
    return r;
  };
  class_ranked_.resize(c);
  for (std::size_t k = 0; k < c; ++k)
    class_ranked_[k] = ranked([&](std::size_t i) { return t_.probabilities[rows_[i] * c + k]; },
                              [&](std::size_t i) { return std::size_t(t_.truth[rows_[i]]) == k; });
  if (t_.has_binary)
    malignant_ranked_ = ranked([&](std::size_t i) { return t_.malignant_score[rows_[i]]; },
                               [&](std::size_t i) { return bool(t_.malignant_truth[rows_[i]]); });
}

SubsetSummary SubsetMetrics::compute(const std::vector<std::uint32_t>& w) const {
  const std::size_t c = t_.classes, n = rows_.size();
  SubsetSummary s;
  std::vector<double> support(c), predicted(c), hits(c), bin_count(bins_), bin_conf(bins_), bin_correct(bins_);
  double correct = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!w[i]) continue;
    const double wi = w[i];
    const auto t = std::size_t(t_.truth[rows_[i]]);
    s.n += wi;
    support[t] += wi;
    predicted[pred_[i]] += wi;
    const bool right = pred_[i] == t;
    correct += right * wi;
    hits[t] += right * wi;
    bin_count[bin_[i]] += wi;
    bin_conf[bin_[i]] += conf_[i] * wi;
    bin_correct[bin_[i]] += right * wi;
  }
  if (s.n == 0) return s;
  s.accuracy = correct / s.n;
  double recall_sum = 0, f1_sum = 0;
  int in_truth = 0, in_either = 0;
  for (std::size_t k = 0; k < c; ++k) {
    const double recall = support[k] > 0 ? hits[k] / support[k] : 0,
                 precision = predicted[k] > 0 ? hits[k] / predicted[k] : 0;
    if (support[k] > 0) recall_sum += recall, ++in_truth;
    if (support[k] > 0 || predicted[k] > 0) {
      f1_sum += precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
      ++in_either;
    }
  }
  s.balanced_accuracy = in_truth ? recall_sum / in_truth : 0;
  s.macro_f1 = in_either ? f1_sum / in_either : 0;
  for (int b = 0; b < bins_; ++b) s.ece += std::abs(bin_correct[b] - bin_conf[b]) / s.n;

  // One-vs-rest AUCs (the weight vector is indexed by position).
  double auc_sum = 0;
  int auc_count = 0;
  s.class_auc.resize(c);
  for (std::size_t k = 0; k < c; ++k) {
    s.class_auc[k] = weighted_auc(class_ranked_[k], w);
    if (s.class_auc[k]) auc_sum += *s.class_auc[k], ++auc_count;
  }
  if (auc_count) s.macro_auc = auc_sum / auc_count;

  if (t_.has_binary) {
    double tp = 0, fn = 0, tn = 0, fp = 0;
    for (const auto& r : malignant_ranked_) {
      const bool called = r.score >= 0.5;
      if (r.positive)
        (called ? tp : fn) += w[r.position];
      else
        (called ? fp : tn) += w[r.position];
    }
    if (tp + fn > 0) s.malignant_sensitivity = tp / (tp + fn);
    if (tn + fp > 0) s.malignant_specificity = tn / (tn + fp);
    s.malignant_auc = weighted_auc(malignant_ranked_, w);
  }
  return s;
}

void SubsetMetrics::group_clusters() {
  std::unordered_map<std::size_t, std::size_t> index_of;  // cluster id -> index in clusters_
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    const auto [it, added] = index_of.try_emplace(t_.cluster[rows_[i]], clusters_.size());
    if (added) clusters_.emplace_back();
    clusters_[it->second].push_back(i);
  }
  clusters_stratified_ = std::all_of(clusters_.begin(), clusters_.end(), [&](const auto& members) {
    return std::all_of(members.begin(), members.end(),
                       [&](std::size_t i) { return t_.truth[rows_[i]] == t_.truth[rows_[members[0]]]; });
  });
  if (clusters_stratified_) {
    cluster_strata_.assign(t_.classes, {});
    for (std::size_t k = 0; k < clusters_.size(); ++k)
      cluster_strata_[std::size_t(t_.truth[rows_[clusters_[k][0]]])].push_back(k);
  } else {
    cluster_strata_.assign(1, std::vector<std::size_t>(clusters_.size()));
    std::iota(cluster_strata_[0].begin(), cluster_strata_[0].end(), std::size_t{0});
  }
}

std::vector<std::uint32_t> SubsetMetrics::resample(std::mt19937_64& rng) const {
  return clusters_.empty() ? stratified_resample(rng) : cluster_resample(rng);
}

std::vector<std::uint32_t> SubsetMetrics::cluster_resample(std::mt19937_64& rng) const {
  std::vector<std::uint32_t> w(rows_.size(), 0);
  for (const auto& stratum : cluster_strata_) {
    if (stratum.empty()) continue;
    std::uniform_int_distribution<std::size_t> pick(0, stratum.size() - 1);
    for (std::size_t k = 0; k < stratum.size(); ++k)
      for (std::size_t i : clusters_[stratum[pick(rng)]]) ++w[i];
  }
  return w;
}

std::vector<std::uint32_t> SubsetMetrics::stratified_resample(std::mt19937_64& rng) const {
  std::vector<std::uint32_t> w(rows_.size(), 0);
  for (const auto& members : by_class_) {
    if (members.empty()) continue;
    std::uniform_int_distribution<std::size_t> pick(0, members.size() - 1);
    for (std::size_t k = 0; k < members.size(); ++k) ++w[members[pick(rng)]];
  }
  return w;
}

std::mt19937_64 resample_generator(std::uint64_t seed, std::size_t r) {
  std::seed_seq seq{std::uint32_t(seed), std::uint32_t(seed >> 32), std::uint32_t(r), std::uint32_t(r >> 32)};
  return std::mt19937_64(seq);
}

std::vector<std::vector<std::uint32_t>> bootstrap_weights(const SubsetMetrics& subset, int resamples,
                                                          std::uint64_t seed) {
  std::vector<std::vector<std::uint32_t>> out;
  for (std::size_t r = 0; r < std::size_t(std::max(0, resamples)); ++r) {
    auto rng = resample_generator(seed, r);
    out.push_back(subset.resample(rng));
  }
  return out;
}

BootstrapSummary bootstrap_subset(const SubsetMetrics& subset, int resamples, std::uint64_t seed) {
  // Resample r draws from its own generator seeded by (seed, r), so the result does not depend
  // on how many threads share the work.
  std::vector<SubsetSummary> results(std::size_t(std::max(0, resamples)));
  const unsigned threads = std::max(1u, std::min(std::thread::hardware_concurrency(), 8u));
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (std::size_t r = t; r < results.size(); r += threads) {
        auto rng = resample_generator(seed, r);
        results[r] = subset.compute(subset.resample(rng));
      }
    });
  for (auto& th : pool) th.join();
  std::map<std::string, std::vector<double>> samples;
  for (const auto& s : results) {
    for (const auto& name : subset_metric_names())
      if (auto v = subset_metric(s, name)) samples[name].push_back(*v);
    for (std::size_t k = 0; k < s.class_auc.size(); ++k)
      if (s.class_auc[k]) samples["auc:" + std::to_string(k)].push_back(*s.class_auc[k]);
  }
  BootstrapSummary out;
  out.resamples = resamples;
  for (auto& [name, values] : samples)
    if (!values.empty()) out.intervals[name] = {percentile(values, 0.025), percentile(values, 0.975)};
  return out;
}

ScoreTable score_table(const Scoring& s) {
  ScoreTable t;
  t.classes = s.labels.size();
  t.has_binary = !s.malignant.empty();
  std::vector<bool> is_malignant(t.classes);
  for (std::size_t k = 0; k < t.classes; ++k)
    is_malignant[k] = std::find(s.malignant.begin(), s.malignant.end(), s.labels[k]) != s.malignant.end();
  FlatScores flat = flatten_probabilities(s);
  t.truth = std::move(flat.truth);
  t.probabilities = std::move(flat.values);
  for (const auto& item : s.scored) {
    if (t.has_binary) {
      double p = 0;
      for (std::size_t k = 0; k < t.classes; ++k)
        if (is_malignant[k]) p += item.probabilities[k];
      t.malignant_truth.push_back(is_malignant[std::size_t(item.truth)]);
      t.malignant_score.push_back(p);
    }
  }
  return t;
}

}  // namespace skin
