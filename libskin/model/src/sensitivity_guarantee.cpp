// sensitivity_guarantee.cpp: the learn-then-test malignant threshold, and its manifest section.
#include "skin/model/sensitivity_guarantee.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "skin/core/binomial.hpp"
#include "skin/core/error.hpp"

namespace skin {
namespace {

void check_levels(double sensitivity, double delta) {
  if (!(sensitivity > 0 && sensitivity < 1))
    throw Error(ErrorKind::usage, fmt::format("target sensitivity {} must lie strictly between 0 and 1", sensitivity));
  if (!(delta > 0 && delta < 1))
    throw Error(ErrorKind::usage, fmt::format("delta {} must lie strictly between 0 and 1", delta));
}

}  // namespace

std::size_t min_malignant_for_guarantee(double sensitivity, double delta) {
  check_levels(sensitivity, delta);
  // Smallest n with s^n <= delta; the loop avoids rounding at an exact power.
  std::size_t n = std::size_t(std::max(1.0, std::floor(std::log(delta) / std::log(sensitivity))));
  while (n > 1 && std::pow(sensitivity, double(n - 1)) <= delta) --n;
  while (std::pow(sensitivity, double(n)) > delta) ++n;
  return n;
}

SensitivityGuarantee fit_sensitivity_guarantee(std::vector<double> scores, double sensitivity, double delta) {
  const std::size_t minimum = min_malignant_for_guarantee(sensitivity, delta), n = scores.size();
  if (n < minimum)
    throw Error(ErrorKind::usage,
                fmt::format("{} malignant calibration images are too few for sensitivity {} with delta {}: at least "
                            "{} are needed",
                            n, sensitivity, delta, minimum));
  SensitivityGuarantee g;
  g.sensitivity = sensitivity;
  g.delta = delta;
  g.calibration_malignant = n;
  const double miss_rate = 1 - sensitivity;
  std::size_t k = 0;
  while (k + 1 < n && binomial_cdf(k + 1, n, miss_rate) <= delta) ++k;
  g.misses_allowed = k;
  std::sort(scores.begin(), scores.end());
  g.threshold = scores[k];
  return g;
}

nlohmann::json sensitivity_guarantee_json(const SensitivityGuarantee& g) {
  return {{"threshold", g.threshold},
          {"sensitivity", g.sensitivity},
          {"delta", g.delta},
          {"calibration_malignant", g.calibration_malignant},
          {"misses_allowed", g.misses_allowed},
          {"method",
           "learn-then-test with the exact binomial test: the highest threshold whose Clopper-Pearson upper "
           "bound on the miss rate is <= 1 - sensitivity at confidence 1 - delta"},
          {"calibration", g.record}};
}

SensitivityGuarantee parse_sensitivity_guarantee(const nlohmann::json& section, const std::string& source) {
  auto fail = [&](const std::string& why) {
    throw Error(ErrorKind::model, fmt::format("{}: malignant_guarantee: {}", source, why));
  };
  if (!section.is_object()) fail("must be an object");
  SensitivityGuarantee g;
  auto number = [&](const char* key) {
    if (!section.contains(key) || !section[key].is_number()) fail(fmt::format("'{}' must be a number", key));
    return section[key].get<double>();
  };
  g.threshold = number("threshold");
  g.sensitivity = number("sensitivity");
  g.delta = number("delta");
  if (!(g.threshold >= 0 && g.threshold <= 1)) fail("'threshold' must lie in [0, 1]");
  if (!(g.sensitivity > 0 && g.sensitivity < 1) || !(g.delta > 0 && g.delta < 1))
    fail("'sensitivity' and 'delta' must lie strictly between 0 and 1");
  g.calibration_malignant = std::size_t(section.value("calibration_malignant", 0));
  g.misses_allowed = std::size_t(section.value("misses_allowed", 0));
  g.record = section.value("calibration", nlohmann::json::object());
  return g;
}

}  // namespace skin
