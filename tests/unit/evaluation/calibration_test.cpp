// calibration_test.cpp: temperature fitting (skin/evaluation/calibration.hpp).
#include "skin/evaluation/calibration.hpp"

#include <cmath>
#include <random>

#include <doctest/doctest.h>

#include "skin/core/error.hpp"

TEST_CASE("fit_temperature recovers the temperature that generated the labels") {
  std::mt19937 rng(3);
  std::normal_distribution<double> normal(0, 3);
  const std::size_t n = 20000, c = 5;
  const double true_t = 2.5;
  std::vector<double> logits(n * c);
  std::vector<int> truth(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<double> p(c);
    for (std::size_t k = 0; k < c; ++k) p[k] = std::exp((logits[i * c + k] = normal(rng)) / true_t);
    std::discrete_distribution<int> draw(p.begin(), p.end());
    truth[i] = draw(rng);
  }
  double t = skin::fit_temperature(logits, truth, c);
  CHECK(t == doctest::Approx(true_t).epsilon(0.05));
  // It is the minimum: a brute-force scan finds nothing lower.
  double best = skin::temperature_nll(logits, truth, c, t);
  for (double s = 0.5; s < 6; s += 0.01) CHECK(skin::temperature_nll(logits, truth, c, s) >= best - 1e-12);
}

TEST_CASE("temperature_nll at T = 1 is the plain cross-entropy") {
  std::vector<double> logits = {0.0, std::log(3.0)};  // p = (0.25, 0.75)
  CHECK(skin::temperature_nll(logits, {1}, 2, 1.0) == doctest::Approx(-std::log(0.75)));
}

TEST_CASE("softmax_with_temperature divides the logits by T, row by row") {
  auto p = skin::softmax_with_temperature({0.0, 2.0, 5.0, 5.0}, 2, 2.0);
  CHECK(p[1] == doctest::Approx(1.0 / (1.0 + std::exp(-1.0))));
  CHECK(p[2] == doctest::Approx(0.5));
}

TEST_CASE("calibrate fits T on a scoring's logits and reports NLL and ECE before and after") {
  std::mt19937 rng(5);
  std::normal_distribution<double> noise(0, 1);
  skin::Scoring s;
  s.labels = {"a", "b", "c"};
  std::vector<double> logits;
  std::vector<int> truth;
  for (int i = 0; i < 300; ++i) {
    const int t = i % 3;
    std::vector<double> row{noise(rng), noise(rng), noise(rng)};
    row[std::size_t(t)] += 2.5;
    for (auto& v : row) v *= 3;  // overconfident: the fitted T is well above 1
    s.scored.push_back({std::to_string(i), "", t, {}, row});
    logits.insert(logits.end(), row.begin(), row.end());
    truth.push_back(t);
  }
  const skin::TemperatureFit fit = skin::calibrate(s, 1.0);
  CHECK(fit.temperature == doctest::Approx(skin::fit_temperature(logits, truth, 3)));
  CHECK(fit.temperature > 1.1);
  CHECK(fit.nll_before == doctest::Approx(skin::temperature_nll(logits, truth, 3, 1.0)));
  CHECK(fit.nll_after == doctest::Approx(skin::temperature_nll(logits, truth, 3, fit.temperature)));
  CHECK(fit.nll_after < fit.nll_before);
  CHECK(fit.images == 300);
  const auto record = fit.record("/data", "ham10000", "");
  CHECK(record["temperature"] == fit.temperature);
  CHECK(record["split"].is_null());
  s.scored.resize(1);
  CHECK_THROWS_AS(skin::calibrate(s, 1.0), skin::Error);
}
