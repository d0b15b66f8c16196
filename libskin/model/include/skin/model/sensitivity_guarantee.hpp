// skin/model/sensitivity_guarantee.hpp: a malignant threshold with a finite-sample guarantee
// (learn-then-test, Angelopoulos et al. 2021, with the exact binomial test): on a labelled
// calibration set with n malignant images, the threshold is the highest at which the Clopper-Pearson
// upper bound of the miss rate stays at or below 1 - s. Then, with probability >= 1 - delta over the
// draw of the calibration set, the sensitivity on new images exchangeable with it is >= s.
//   misses allowed k* = the largest k with P(Binomial(n, 1 - s) <= k) <= delta
//   threshold       = the (k* + 1)-th smallest malignant probability of the malignant images
//                     (an image is called malignant when its malignant probability >= threshold)
// Miss rates are monotone in the threshold, so the fixed-sequence test over thresholds (lowest
// first) stops exactly there and needs no multiplicity correction. k = 0 must already pass:
// s^n <= delta, so n >= ceil(log(delta) / log(s)) malignant images are needed.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace skin {

struct SensitivityGuarantee {
  double sensitivity = 0.95;                         // target s
  double delta = 0.1;                                // allowed probability that the guarantee fails
  double threshold = 0.5;                            // malignant when the malignant probability >= threshold
  std::size_t calibration_malignant = 0;             // n
  std::size_t misses_allowed = 0;                    // k*
  nlohmann::json record = nlohmann::json::object();  // calibration set, date
};

// The fewest malignant calibration images for which a threshold exists; Error(usage) for s or
// delta outside (0, 1).
std::size_t min_malignant_for_guarantee(double sensitivity, double delta);

// Fits the threshold on the malignant probabilities of the calibration set's malignant images.
// Error(usage) naming the minimum when there are too few.
SensitivityGuarantee fit_sensitivity_guarantee(std::vector<double> malignant_scores, double sensitivity, double delta);

nlohmann::json sensitivity_guarantee_json(const SensitivityGuarantee& g);  // the manifest's section
SensitivityGuarantee parse_sensitivity_guarantee(const nlohmann::json& section, const std::string& source);

}  // namespace skin
