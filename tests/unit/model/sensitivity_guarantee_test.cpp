// sensitivity_guarantee_test.cpp: the learn-then-test threshold, its minimum calibration size and
// its manifest section (skin/model/sensitivity_guarantee.hpp).
#include "skin/model/sensitivity_guarantee.hpp"

#include <doctest/doctest.h>

#include "../support.hpp"

TEST_CASE("the minimum number of malignant images is the smallest n with s^n <= delta") {
  CHECK(skin::min_malignant_for_guarantee(0.95, 0.1) == 45);  // 0.95^45 = 0.0994, 0.95^44 = 0.1047
  CHECK(skin::min_malignant_for_guarantee(0.9, 0.1) == 22);
  CHECK(skin::min_malignant_for_guarantee(0.5, 0.25) == 2);  // exactly 0.25
  CHECK(test::error_of([] { skin::min_malignant_for_guarantee(1.0, 0.1); }, skin::ErrorKind::usage) ==
        "target sensitivity 1 must lie strictly between 0 and 1");
  CHECK(test::error_of([] { skin::min_malignant_for_guarantee(0.9, 0.0); }, skin::ErrorKind::usage) ==
        "delta 0 must lie strictly between 0 and 1");
}

TEST_CASE("the threshold allows the misses the binomial test allows, and no more") {
  std::vector<double> scores;
  for (int i = 0; i < 45; ++i) scores.push_back(0.01 * (45 - i));
  // n = 45 at s = 0.95, delta = 0.1: only k = 0 passes, so the threshold is the lowest score.
  auto g = skin::fit_sensitivity_guarantee(scores, 0.95, 0.1);
  CHECK(g.misses_allowed == 0);
  CHECK(g.threshold == doctest::Approx(0.01));
  // n = 141 (the val split's malignant images): P(Bin(141, 0.05) <= 3) = 0.0845 <= 0.1 < P(<= 4).
  scores.clear();
  for (int i = 0; i < 141; ++i) scores.push_back(0.001 * i);
  g = skin::fit_sensitivity_guarantee(scores, 0.95, 0.1);
  CHECK(g.misses_allowed == 3);
  CHECK(g.threshold == doctest::Approx(0.003));
  CHECK(test::error_of([] { skin::fit_sensitivity_guarantee(std::vector<double>(44, 0.5), 0.95, 0.1); },
                       skin::ErrorKind::usage) ==
        "44 malignant calibration images are too few for sensitivity 0.95 with delta 0.1: at least 45 are needed");
}

TEST_CASE("the manifest section round-trips and is validated") {
  auto g = skin::fit_sensitivity_guarantee(std::vector<double>(60, 0.2), 0.9, 0.05);
  const auto back = skin::parse_sensitivity_guarantee(skin::sensitivity_guarantee_json(g), "m.json");
  CHECK(back.threshold == g.threshold);
  CHECK(back.sensitivity == 0.9);
  CHECK(back.delta == 0.05);
  CHECK(back.calibration_malignant == 60);
  CHECK(test::error_of(
            [] {
              skin::parse_sensitivity_guarantee({{"threshold", 2}, {"sensitivity", 0.9}, {"delta", 0.1}}, "m.json");
            },
            skin::ErrorKind::model) == "m.json: malignant_guarantee: 'threshold' must lie in [0, 1]");
  CHECK(test::error_of(
            [] {
              skin::parse_sensitivity_guarantee({{"threshold", 0.2}, {"delta", 0.1}}, "m.json");
            },
            skin::ErrorKind::model) == "m.json: malignant_guarantee: 'sensitivity' must be a number");
}
