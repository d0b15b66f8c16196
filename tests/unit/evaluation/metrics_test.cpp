// metrics_test.cpp: properties of the metrics that the scikit-learn cross-check
// (tests/metrics/check_metrics.py) cannot see: input validation.
#include "skin/evaluation/metrics.hpp"

#include <doctest/doctest.h>

#include "support.hpp"

TEST_CASE("compute_metrics refuses inconsistent input") {
  using skin::ErrorKind;
  CHECK(test::error_of(
            [] {
              skin::compute_metrics({}, {}, {"a", "b"});
            },
            ErrorKind::input) == "metrics: no samples to score");
  CHECK(test::error_of(
            [] {
              skin::compute_metrics({0}, {1.0}, {"a", "b"});
            },
            ErrorKind::input) == "metrics: 1 probabilities do not form 1 rows of 2 classes");
  CHECK(test::error_of(
            [] {
              skin::compute_metrics({2}, {0.5, 0.5}, {"a", "b"});
            },
            ErrorKind::input) == "metrics: true class 2 is not one of the 2 classes");
}
