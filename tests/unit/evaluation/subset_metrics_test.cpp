// subset_metrics_test.cpp: weighted subset metrics agree with compute_metrics/binary_metrics on
// the same items; the stratified bootstrap keeps class counts and is reproducible
// (skin/evaluation/subset_metrics.hpp).
#include "skin/evaluation/subset_metrics.hpp"

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
  const auto w = subset.stratified_resample(rng);
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
  const auto w = subset.stratified_resample(rng);
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
