// calibration.cpp: temperature fitting.
#include "skin/evaluation/calibration.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "skin/core/error.hpp"
#include "skin/core/version.hpp"
#include "skin/evaluation/metrics.hpp"

namespace skin {

std::vector<double> softmax_with_temperature(const std::vector<double>& logits, std::size_t c, double t) {
  std::vector<double> p(logits.size());
  for (std::size_t i = 0; i + c <= logits.size(); i += c) {
    double mx = *std::max_element(logits.begin() + std::ptrdiff_t(i), logits.begin() + std::ptrdiff_t(i + c)), sum = 0;
    for (std::size_t k = i; k < i + c; ++k) sum += p[k] = std::exp((logits[k] - mx) / t);
    for (std::size_t k = i; k < i + c; ++k) p[k] /= sum;
  }
  return p;
}

double temperature_nll(const std::vector<double>& logits, const std::vector<int>& truth, std::size_t c, double t) {
  if (truth.empty() || logits.size() != truth.size() * c)
    throw Error(ErrorKind::input, fmt::format("calibration: {} logits do not form {} rows of {} classes", logits.size(),
                                              truth.size(), c));
  double total = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    const double* row = logits.data() + i * c;
    double mx = *std::max_element(row, row + c) / t, sum = 0;
    for (std::size_t k = 0; k < c; ++k) sum += std::exp(row[k] / t - mx);
    total += mx + std::log(sum) - row[truth[i]] / t;
  }
  return total / double(truth.size());
}

double fit_temperature(const std::vector<double>& logits, const std::vector<int>& truth, std::size_t c) {
  const double phi = (std::sqrt(5.0) - 1) / 2;
  double lo = std::log(0.05), hi = std::log(20.0);
  double a = hi - phi * (hi - lo), b = lo + phi * (hi - lo);
  double fa = temperature_nll(logits, truth, c, std::exp(a)), fb = temperature_nll(logits, truth, c, std::exp(b));
  while (hi - lo > 1e-9) {
    if (fa < fb) {
      hi = b, b = a, fb = fa;
      a = hi - phi * (hi - lo);
      fa = temperature_nll(logits, truth, c, std::exp(a));
    } else {
      lo = a, a = b, fa = fb;
      b = lo + phi * (hi - lo);
      fb = temperature_nll(logits, truth, c, std::exp(b));
    }
  }
  return std::exp((lo + hi) / 2);
}

TemperatureFit calibrate(const Scoring& s, double current_temperature) {
  const std::size_t c = s.labels.size();
  const FlatScores logits = flatten_raw_scores(s);
  if (s.scored.size() < 2) throw Error(ErrorKind::usage, "fewer than 2 labelled images could be scored");
  if (logits.values.size() != s.scored.size() * c)
    throw Error(ErrorKind::usage, "temperature scaling needs the model's raw logits for every scored image");
  TemperatureFit fit;
  fit.images = s.scored.size();
  fit.temperature_before = current_temperature;
  fit.temperature = fit_temperature(logits.values, logits.truth, c);
  const Metrics before =
      compute_metrics(logits.truth, softmax_with_temperature(logits.values, c, fit.temperature_before), s.labels);
  const Metrics after =
      compute_metrics(logits.truth, softmax_with_temperature(logits.values, c, fit.temperature), s.labels);
  fit.nll_before = before.nll;
  fit.nll_after = after.nll;
  fit.ece_before = before.ece;
  fit.ece_after = after.ece;
  return fit;
}

nlohmann::json TemperatureFit::record(const std::string& data, const std::string& layout,
                                      const std::string& split) const {
  return {{"temperature_before", temperature_before},
          {"temperature", temperature},
          {"data", data},
          {"layout", layout},
          {"split", split.empty() ? nlohmann::json() : nlohmann::json(split)},
          {"images", images},
          {"nll_before", nll_before},
          {"nll_after", nll_after},
          {"ece_before", ece_before},
          {"ece_after", ece_after},
          {"method", "minimise NLL over T (golden-section search on log T)"},
          {"skinscan", version()}};
}

}  // namespace skin
