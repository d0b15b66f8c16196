// skin/robustness/dataset_shift.hpp: how unlike the training data a set of images is, labelled or not, for
// the user's question "can I trust this model here?". Two signals:
// - the score: the Fréchet distance between the images' pooled `features` and the training
//   split's, each channel taken as a Gaussian (mean, standard deviation; the manifest's
//   feature_statistics, written at export) and measured in units of the training standard
//   deviation, averaged over channels:
//     score = mean over channels c of ((m_c - mu_c)^2 + (s_c - sigma_c)^2) / sigma_c^2
//   with m, s the images' mean and standard deviation and mu, sigma the training split's. About
//   1.5 / n for n images drawn like the training data (sampling noise), larger under shift;
// - the mean top-class probability (lower on unfamiliar images, for calibrated models).
// The warning threshold is the model's own (calibrated on held-out sources, in the manifest).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "skin/model/manifest.hpp"

namespace skin {

// Standard deviations below this share of the median are raised to it, so that channels that
// never fire on training images cannot dominate the score.
inline constexpr double kFeatureStdFloor = 0.05;

// Running per-channel sums of pooled features (float64).
struct FeatureMoments {
  std::vector<double> sum, sum_sq;
  std::size_t n = 0;
  void add(const std::vector<float>& pooled);  // empty: ignored
};

// Nothing (no value) when fewer than 2 images were measured.
std::optional<double> dataset_shift_score(const FeatureStatistics& reference, const FeatureMoments& images);

// {score, threshold, warning, images, mean_max_probability, reference_images, threshold_calibration,
// definition}.
nlohmann::json dataset_shift_json(const FeatureStatistics& reference, const FeatureMoments& images,
                                  double mean_max_probability);

// The one stderr line for a dataset_shift_json() section whose score is over its threshold;
// empty otherwise.
std::string dataset_shift_warning(const nlohmann::json& section);

// One summary line: "dataset shift: score ... (warning threshold ...), mean top-class probability ...".
std::string dataset_shift_summary(const nlohmann::json& section);

}  // namespace skin
