// label_issues_test.cpp: confident learning on a hand-checked example (skin/evaluation/label_issues.hpp);
// tests/metrics/check_label_issues.py checks it against a numpy restatement.
#include "skin/evaluation/label_issues.hpp"

#include <doctest/doctest.h>

TEST_CASE("thresholds are per-class mean self-confidence; off-diagonal confident classes are issues") {
  // Class 0 images: p0 = 0.9, 0.7 -> t0 = 0.8; class 1: p1 = 0.8, 0.6, 0.1 -> t1 = 0.5.
  const std::vector<std::vector<double>> p{{0.9, 0.1}, {0.7, 0.3}, {0.2, 0.8}, {0.4, 0.6}, {0.9, 0.1}};
  const std::vector<int> given{0, 0, 1, 1, 1};
  const auto cl = skin::confident_learning(p, given, 2);
  CHECK(cl.thresholds[0] == doctest::Approx(0.8));
  CHECK(cl.thresholds[1] == doctest::Approx(0.5));
  // Row 1 reaches neither threshold (0.7 < 0.8, 0.3 < 0.5): no confident class.
  CHECK(cl.confident_class == std::vector<int>{0, -1, 1, 1, 0});
  CHECK(cl.joint == std::vector<std::vector<std::size_t>>{{1, 0}, {1, 2}});
  REQUIRE(cl.issues.size() == 1);
  CHECK(cl.issues[0].row == 4);
  CHECK(cl.issues[0].suggested == 0);
  CHECK(cl.issues[0].self_confidence == doctest::Approx(0.1));
}
