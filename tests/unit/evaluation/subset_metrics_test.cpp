// subset_metrics_test.cpp: weighted subset metrics agree with compute_metrics/binary_metrics on
// the same items; the stratified bootstrap keeps class counts and is reproducible
// (skin/evaluation/subset_metrics.hpp).
#include "skin/evaluation/subset_metrics.hpp"

#include <algorithm>
#include <map>
#include <random>

#include <doctest/doctest.h>

namespace {

skin::ScoreTable random_table(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  skin::ScoreTable t;
  t.classes = 3;
  t.has_binary = true;
  for (std::size_t i = 0; i < n; ++i) {
    const int truth = int(rng() % 3);
    // Rounded to two decimals so that ties occur.
    double a = std::round(u(rng) * 100) / 100, b = std::round(u(rng) * 100) / 100,
           c = std::round((u(rng) + (truth == 2)) * 100) / 100, s = a + b + c + 1e-9;
    t.truth.push_back(truth);
    t.probabilities.insert(t.probabilities.end(), {a / s, b / s, c / s});
    t.malignant_truth.push_back(truth == 2);
    t.malignant_score.push_back(c / s);
  }
  return t;
}

std::vector<std::size_t> every(std::size_t n) {
  std::vector<std::size_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = i;
  return v;
}

}  // namespace

TEST_CASE("unit weights reproduce compute_metrics and binary_metrics") {
  const auto t = random_table(700, 3);
  const auto m = skin::compute_metrics(t.truth, t.probabilities, {"a", "b", "c"});
  const auto b = skin::binary_metrics(t.malignant_truth, t.malignant_score, 0.5);
  const auto s = skin::SubsetMetrics(t, every(t.size())).compute();
  CHECK(s.n == 700);
  CHECK(s.accuracy == doctest::Approx(m.accuracy).epsilon(1e-12));
  CHECK(s.balanced_accuracy == doctest::Approx(m.balanced_accuracy).epsilon(1e-12));
  CHECK(s.macro_f1 == doctest::Approx(m.macro_f1).epsilon(1e-12));
  CHECK(s.ece == doctest::Approx(m.ece).epsilon(1e-12));
  REQUIRE(s.macro_auc);
  CHECK(*s.macro_auc == doctest::Approx(*m.macro_auc).epsilon(1e-12));
  for (std::size_t k = 0; k < 3; ++k) CHECK(*s.class_auc[k] == doctest::Approx(*m.per_class[k].auc).epsilon(1e-12));
  CHECK(*s.malignant_sensitivity == doctest::Approx(b.sensitivity).epsilon(1e-12));
  CHECK(*s.malignant_specificity == doctest::Approx(b.specificity).epsilon(1e-12));
  CHECK(*s.malignant_auc == doctest::Approx(*b.auc).epsilon(1e-12));
}

TEST_CASE("integer weights equal repeating the items") {
  const auto t = random_table(200, 4);
  skin::SubsetMetrics subset(t, every(t.size()));
  std::mt19937_64 rng(9);
  const auto w = subset.resample(rng);
  skin::ScoreTable expanded;
  expanded.classes = 3;
  for (std::size_t i = 0; i < t.size(); ++i)
    for (std::uint32_t r = 0; r < w[i]; ++r) {
      expanded.truth.push_back(t.truth[i]);
      expanded.probabilities.insert(expanded.probabilities.end(), t.probabilities.begin() + long(i * 3),
                                    t.probabilities.begin() + long(i * 3 + 3));
    }
  const auto m = skin::compute_metrics(expanded.truth, expanded.probabilities, {"a", "b", "c"});
  const auto s = subset.compute(w);
  CHECK(s.accuracy == doctest::Approx(m.accuracy).epsilon(1e-12));
  CHECK(s.balanced_accuracy == doctest::Approx(m.balanced_accuracy).epsilon(1e-12));
  CHECK(*s.macro_auc == doctest::Approx(*m.macro_auc).epsilon(1e-12));
  CHECK(s.ece == doctest::Approx(m.ece).epsilon(1e-12));
}

TEST_CASE("stratified resamples keep class counts; bootstrap is seeded and brackets the estimate") {
  const auto t = random_table(2000, 5);
  skin::SubsetMetrics subset(t, every(t.size()));
  std::mt19937_64 rng(1);
  const auto w = subset.resample(rng);
  std::vector<std::uint32_t> counts(3);
  for (std::size_t i = 0; i < t.size(); ++i) counts[std::size_t(t.truth[i])] += w[i];
  std::vector<std::uint32_t> expected(3);
  for (int y : t.truth) ++expected[std::size_t(y)];
  CHECK(counts == expected);

  const auto a = skin::bootstrap_subset(subset, 300, 42), b = skin::bootstrap_subset(subset, 300, 42),
             c = skin::bootstrap_subset(subset, 300, 43);
  CHECK(a.intervals == b.intervals);
  CHECK(a.intervals != c.intervals);
  const auto s = subset.compute();
  for (const auto& name : skin::subset_metric_names()) {
    CAPTURE(name);
    const auto& iv = a.intervals.at(name);
    const double v = *skin::subset_metric(s, name);
    CHECK(iv.lower <= v);
    CHECK(v <= iv.upper);
    CHECK(iv.upper - iv.lower < 0.15);
    CHECK(iv.upper > iv.lower);
  }
}

TEST_CASE("cluster resamples draw whole clusters, stratified by class when clusters are pure") {
  auto t = random_table(600, 6);
  // Lesions of 1-4 images, each lesion one diagnosis (as HAM10000's lesion_id).
  std::vector<std::size_t> order = every(t.size());
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return t.truth[a] < t.truth[b]; });
  t.cluster.assign(t.size(), 0);
  std::size_t next = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    if (k % 3 == 0 || t.truth[order[k]] != t.truth[order[k - 1]]) ++next;
    t.cluster[order[k]] = next;
  }
  skin::SubsetMetrics subset(t, every(t.size()));
  CHECK(subset.cluster_count() == next);
  CHECK(subset.clusters_stratified());
  std::mt19937_64 rng(3);
  const auto w = subset.resample(rng);
  std::map<std::size_t, std::uint32_t> weight_of;
  std::vector<std::map<std::size_t, bool>> clusters_per_class(3);
  std::vector<std::uint32_t> drawn(3);
  for (std::size_t i = 0; i < t.size(); ++i) {
    const auto [it, added] = weight_of.try_emplace(t.cluster[i], w[i]);
    CHECK(it->second == w[i]);  // every image of a lesion weighs the same
    if (added) {
      clusters_per_class[std::size_t(t.truth[i])][t.cluster[i]] = true;
      drawn[std::size_t(t.truth[i])] += w[i];
    }
  }
  for (std::size_t k = 0; k < 3; ++k) CHECK(drawn[k] == clusters_per_class[k].size());  // clusters per class kept

  // A patient with two diagnoses makes the clusters mixed: the draw is then over all clusters.
  t.cluster[order.front()] = t.cluster[order.back()];
  skin::SubsetMetrics mixed(t, every(t.size()));
  CHECK_FALSE(mixed.clusters_stratified());
  const auto wm = mixed.resample(rng);
  std::uint32_t total = 0;
  std::map<std::size_t, bool> seen;
  for (std::size_t i = 0; i < t.size(); ++i)
    if (seen.try_emplace(t.cluster[i], true).second) total += wm[i];
  CHECK(total == mixed.cluster_count());
}

TEST_CASE("correlated images within a lesion widen the interval when resampled by lesion") {
  // Every lesion photographed four times with identical predictions: by image the bootstrap sees
  // 4x the information there is.
  auto base = random_table(150, 7);
  skin::ScoreTable t;
  t.classes = 3;
  t.has_binary = true;
  for (std::size_t i = 0; i < base.size(); ++i)
    for (int copy = 0; copy < 4; ++copy) {
      t.truth.push_back(base.truth[i]);
      t.probabilities.insert(t.probabilities.end(), base.probabilities.begin() + long(i * 3),
                             base.probabilities.begin() + long(i * 3 + 3));
      t.malignant_truth.push_back(base.malignant_truth[i]);
      t.malignant_score.push_back(base.malignant_score[i]);
      t.cluster.push_back(i);
    }
  const auto by_lesion = skin::bootstrap_subset(skin::SubsetMetrics(t, every(t.size())), 400, 1);
  t.cluster.clear();
  const auto by_image = skin::bootstrap_subset(skin::SubsetMetrics(t, every(t.size())), 400, 1);
  const auto width = [](const skin::Interval& iv) { return iv.upper - iv.lower; };
  // Four perfectly correlated copies: about twice as wide (sqrt 4).
  const double ratio = width(by_lesion.intervals.at("accuracy")) / width(by_image.intervals.at("accuracy"));
  CHECK(ratio > 1.6);
  CHECK(ratio < 2.5);
}
