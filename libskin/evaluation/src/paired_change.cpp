// paired_change.cpp: image-by-image differences between two scorings of the same images.
#include "skin/evaluation/paired_change.hpp"

#include <algorithm>
#include <map>
#include <random>

#include "skin/evaluation/metrics.hpp"
#include "skin/evaluation/subset_metrics.hpp"

namespace skin {
namespace {

double summed_malignant_probability(const std::vector<double>& p, const std::vector<std::size_t>& malignant) {
  double sum = 0;
  for (std::size_t k : malignant) sum += p[k];
  return sum;
}

}  // namespace

std::vector<double> paired_change_resample_means(const std::vector<double>& differences, int resamples,
                                                 std::uint64_t seed, const std::vector<std::size_t>& cluster) {
  // Units: clusters when given (each item's cluster index), else items.
  std::vector<std::vector<std::size_t>> units;
  if (cluster.size() == differences.size() && !cluster.empty()) {
    std::map<std::size_t, std::size_t> index;
    for (std::size_t i = 0; i < cluster.size(); ++i) {
      const auto [it, fresh] = index.emplace(cluster[i], units.size());
      if (fresh) units.emplace_back();
      units[it->second].push_back(i);
    }
  } else {
    for (std::size_t i = 0; i < differences.size(); ++i) units.push_back({i});
  }
  std::vector<double> means;
  if (units.empty()) return means;
  for (std::size_t r = 0; r < std::size_t(std::max(0, resamples)); ++r) {
    auto rng = resample_generator(seed, r);
    std::uniform_int_distribution<std::size_t> pick(0, units.size() - 1);
    double sum = 0;
    std::size_t count = 0;
    for (std::size_t k = 0; k < units.size(); ++k)
      for (std::size_t i : units[pick(rng)]) {
        sum += differences[i];
        ++count;
      }
    means.push_back(sum / double(count));
  }
  return means;
}

PairedChange paired_change(const Scoring& unchanged, const Scoring& changed, double malignant_threshold, int resamples,
                           std::uint64_t seed, const std::unordered_map<std::string, std::size_t>& cluster_of) {
  PairedChange out;
  out.malignant_threshold = malignant_threshold;
  out.resamples = resamples;
  std::vector<std::size_t> malignant;
  for (const auto& name : unchanged.malignant) {
    const int k = find_label(unchanged.labels, name);
    if (k >= 0) malignant.push_back(std::size_t(k));
  }
  out.has_malignant = !malignant.empty();
  std::map<std::string, const ScoredItem*> by_id;
  for (const auto& item : changed.scored) by_id.emplace(item.id, &item);
  std::vector<double> differences;
  std::vector<std::size_t> paired_cluster;
  std::size_t top1_flips = 0, call_flips = 0;
  for (std::size_t i = 0; i < unchanged.scored.size(); ++i) {
    const ScoredItem& a = unchanged.scored[i];
    const auto found = by_id.find(a.id);
    if (found == by_id.end()) continue;
    const ScoredItem& b = *found->second;
    ++out.n;
    top1_flips += argmax_row(a.probabilities.data(), a.probabilities.size()) !=
                  argmax_row(b.probabilities.data(), b.probabilities.size());
    if (!out.has_malignant) continue;
    const double pa = summed_malignant_probability(a.probabilities, malignant);
    const double pb = summed_malignant_probability(b.probabilities, malignant);
    differences.push_back(pb - pa);
    if (!cluster_of.empty()) {
      const auto c = cluster_of.find(a.id);
      paired_cluster.push_back(c == cluster_of.end() ? std::size_t(-1) - i : c->second);  // unknown: its own unit
    }
    const bool call_a = pa >= malignant_threshold, call_b = pb >= malignant_threshold;
    if (call_a != call_b) {
      ++call_flips;
      (call_b ? out.calls_gained : out.calls_lost) += 1;
    }
  }
  if (out.n == 0) return out;
  out.top1_flip_rate = double(top1_flips) / double(out.n);
  if (!out.has_malignant) return out;
  double sum = 0;
  for (double d : differences) sum += d;
  out.mean_malignant_change = sum / double(differences.size());
  out.malignant_call_flip_rate = double(call_flips) / double(out.n);
  out.wilcoxon = wilcoxon_signed_rank(differences);
  const std::vector<double> means = paired_change_resample_means(differences, resamples, seed, paired_cluster);
  if (!means.empty()) {
    out.ci_low = percentile(means, 0.025);
    out.ci_high = percentile(means, 0.975);
  }
  return out;
}

nlohmann::json paired_change_json(const PairedChange& c) {
  nlohmann::json j = {{"n", c.n}, {"top1_flip_rate", c.top1_flip_rate}};
  if (!c.has_malignant) return j;
  j["malignant_change"] = {{"mean", c.mean_malignant_change},
                           {"ci", c.resamples > 0 ? nlohmann::json{c.ci_low, c.ci_high} : nlohmann::json(nullptr)},
                           {"resamples", c.resamples},
                           {"wilcoxon_p", c.wilcoxon.p_value},
                           {"wilcoxon_statistic", c.wilcoxon.statistic},
                           {"wilcoxon_nonzero", c.wilcoxon.nonzero},
                           {"wilcoxon_exact", c.wilcoxon.exact}};
  j["malignant_call_flip_rate"] = c.malignant_call_flip_rate;
  j["malignant_calls_gained"] = c.calls_gained;
  j["malignant_calls_lost"] = c.calls_lost;
  j["malignant_threshold"] = c.malignant_threshold;
  return j;
}

}  // namespace skin
