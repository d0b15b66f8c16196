// metrics_test.cpp: properties of the metrics that the scikit-learn cross-check
// (tests/metrics/check_metrics.py) cannot see: bootstrap behaviour and input validation.
#include "skin/metrics.hpp"

#include <random>
#include <stdexcept>

#include <doctest/doctest.h>

#include "support.hpp"

namespace {
void random_case(std::size_t n, std::vector<int>& truth, std::vector<double>& probs) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(0, 1);
  truth.resize(n);
  probs.resize(n * 3);
  for (std::size_t i = 0; i < n; ++i) {
    truth[i] = int(rng() % 3);
    double a = u(rng), b = u(rng), c = u(rng) + (truth[i] == 2 ? 1.0 : 0.0), s = a + b + c;
    probs[i * 3] = a / s, probs[i * 3 + 1] = b / s, probs[i * 3 + 2] = c / s;
  }
}
}  // namespace

TEST_CASE("bootstrap intervals are reproducible and bracket the point estimates") {
  std::vector<int> truth;
  std::vector<double> probs;
  random_case(2000, truth, probs);
  auto m = skin::compute_metrics(truth, probs, {"a", "b", "c"});
  auto ci = skin::bootstrap_intervals(truth, probs, 3, 400, 42);
  CHECK(ci == skin::bootstrap_intervals(truth, probs, 3, 400, 42));  // same seed, same intervals
  CHECK(ci != skin::bootstrap_intervals(truth, probs, 3, 400, 43));  // another seed resamples differently
  for (const auto& [name, value] : {std::pair<std::string, double>{"accuracy", m.accuracy},
                                    {"balanced_accuracy", m.balanced_accuracy},
                                    {"macro_f1", m.macro_f1},
                                    {"ece", m.ece}}) {
    CAPTURE(name);
    CHECK(ci[name].lower <= value);
    CHECK(value <= ci[name].upper);
    CHECK(ci[name].upper - ci[name].lower < 0.1);  // 2000 items: a few points wide, not degenerate
    CHECK(ci[name].upper > ci[name].lower);
  }
}

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
