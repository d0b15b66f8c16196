// paired_change_test.cpp: image-by-image changes between two scorings (tests/shift/check_paired_change.py
// compares them with numpy/scipy on random data).
#include "skin/evaluation/paired_change.hpp"

#include <doctest/doctest.h>

namespace {
skin::Scoring scoring(const std::vector<std::pair<std::string, std::vector<double>>>& items) {
  skin::Scoring s;
  s.labels = {"mel", "nv", "bcc"};
  s.malignant = {"mel", "bcc"};
  for (const auto& [id, p] : items) {
    skin::ScoredItem item;
    item.id = id;
    item.probabilities = p;
    s.scored.push_back(item);
  }
  return s;
}
}  // namespace

TEST_CASE("paired change: flips, malignant change and call flips, pairing by id") {
  const skin::Scoring clean = scoring({{"a", {0.6, 0.3, 0.1}}, {"b", {0.2, 0.7, 0.1}}, {"c", {0.1, 0.8, 0.1}}});
  // Listed in another order, plus an item the clean scoring lacks.
  const skin::Scoring changed =
      scoring({{"c", {0.1, 0.8, 0.1}}, {"z", {1, 0, 0}}, {"b", {0.5, 0.4, 0.1}}, {"a", {0.3, 0.6, 0.1}}});
  const skin::PairedChange p = skin::paired_change(clean, changed, 0.5, 200, 7);
  CHECK(p.n == 3);
  CHECK(p.top1_flip_rate == doctest::Approx(2.0 / 3));  // a: mel -> nv, b: nv -> mel
  REQUIRE(p.has_malignant);
  // malignant = mel + bcc: a 0.7 -> 0.4, b 0.3 -> 0.6, c 0.2 -> 0.2
  CHECK(p.mean_malignant_change == doctest::Approx(0.0).epsilon(1e-12));
  CHECK(p.malignant_call_flip_rate == doctest::Approx(2.0 / 3));
  CHECK(p.calls_gained == 1);
  CHECK(p.calls_lost == 1);
  CHECK(p.wilcoxon.nonzero == 2);
  CHECK(p.ci_low <= p.mean_malignant_change);
  CHECK(p.ci_high >= p.mean_malignant_change);
  const nlohmann::json j = skin::paired_change_json(p);
  CHECK(j["malignant_change"]["resamples"] == 200);
  CHECK(j["malignant_calls_gained"] == 1);
}

TEST_CASE("paired change: a model without malignant classes reports flips only; resampling is reproducible") {
  skin::Scoring clean = scoring({{"a", {0.6, 0.3, 0.1}}});
  clean.malignant.clear();
  const skin::PairedChange p = skin::paired_change(clean, clean, 0.5, 100, 1);
  CHECK(p.n == 1);
  CHECK(p.top1_flip_rate == 0);
  CHECK_FALSE(p.has_malignant);
  CHECK_FALSE(skin::paired_change_json(p).contains("malignant_change"));
  const std::vector<double> d{0.1, -0.2, 0.3, 0.05, 0.0};
  CHECK(skin::paired_change_resample_means(d, 50, 3) == skin::paired_change_resample_means(d, 50, 3));
  CHECK(skin::paired_change_resample_means(d, 50, 3) != skin::paired_change_resample_means(d, 50, 4));
  // Two clusters of identical values: every resample mean is one of 0.1, 0.3 or 0.5 (weighted by size).
  const std::vector<double> two{0.1, 0.1, 0.5, 0.5};
  for (double m : skin::paired_change_resample_means(two, 30, 5, {0, 0, 1, 1}))
    CHECK((m == doctest::Approx(0.1) || m == doctest::Approx(0.3) || m == doctest::Approx(0.5)));
}
