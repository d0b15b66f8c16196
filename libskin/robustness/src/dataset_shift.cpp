// dataset_shift.cpp: the standardised Fréchet score and its report section.
#include "skin/robustness/dataset_shift.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "skin/core/error.hpp"

namespace skin {

void FeatureMoments::add(const std::vector<float>& pooled) {
  if (pooled.empty()) return;
  if (sum.empty()) sum.assign(pooled.size(), 0.0), sum_sq.assign(pooled.size(), 0.0);
  if (pooled.size() != sum.size()) throw Error(ErrorKind::model, "pooled features changed size between images");
  for (std::size_t c = 0; c < pooled.size(); ++c) {
    sum[c] += pooled[c];
    sum_sq[c] += double(pooled[c]) * pooled[c];
  }
  ++n;
}

std::optional<double> dataset_shift_score(const FeatureStatistics& ref, const FeatureMoments& images) {
  if (images.n < 2 || images.sum.size() != ref.mean.size()) return std::nullopt;
  std::vector<double> sorted = ref.std;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t k = sorted.size();
  const double median = k % 2 ? sorted[k / 2] : (sorted[k / 2 - 1] + sorted[k / 2]) / 2;
  const double floor = std::max(kFeatureStdFloor * median, 1e-12);
  double total = 0;
  for (std::size_t c = 0; c < k; ++c) {
    const double m = images.sum[c] / double(images.n);
    const double s = std::sqrt(std::max(0.0, images.sum_sq[c] / double(images.n) - m * m));
    const double sigma = std::max(ref.std[c], floor);
    total += ((m - ref.mean[c]) * (m - ref.mean[c]) + (s - ref.std[c]) * (s - ref.std[c])) / (sigma * sigma);
  }
  return total / double(k);
}

nlohmann::json dataset_shift_json(const FeatureStatistics& ref, const FeatureMoments& images,
                                  double mean_max_probability) {
  using nlohmann::json;
  const auto score = dataset_shift_score(ref, images);
  const bool warning = score && ref.warning_threshold && *score > *ref.warning_threshold;
  return {{"score", score ? json(*score) : json(nullptr)},
          {"threshold", ref.warning_threshold ? json(*ref.warning_threshold) : json(nullptr)},
          {"warning", warning},
          {"images", images.n},
          {"mean_max_probability", mean_max_probability},
          {"reference_images", ref.n},
          {"threshold_calibration", ref.threshold_calibration},
          {"definition",
           "score: mean over feature channels of ((m - mu)^2 + (s - sigma)^2) / sigma^2, the Frechet distance of "
           "per-channel Gaussians in units of the training variance: m, s the mean and standard deviation of these "
           "images' pooled features, mu, sigma the training split's (sigma floored at 5% of its median). About 1.5/n "
           "for n images like the training data. mean_max_probability: mean top-class probability"}};
}

std::string dataset_shift_warning(const nlohmann::json& section) {
  if (!section.is_object() || !section.value("warning", false)) return {};
  return fmt::format(
      "skinscan: warning: these {} images look unlike the model's training data (dataset shift score {:.3f} > "
      "threshold {:.3f}): expect lower accuracy than its model card reports",
      section["images"].get<std::size_t>(), section["score"].get<double>(), section["threshold"].get<double>());
}

std::string dataset_shift_summary(const nlohmann::json& section) {
  if (!section.is_object() || !section["score"].is_number()) return {};
  return fmt::format("dataset shift: score {:.3f} ({}), mean top-class probability {:.3f}, {} images{}\n",
                     section["score"].get<double>(),
                     section["threshold"].is_number()
                         ? fmt::format("warning threshold {:.3f}", section["threshold"].get<double>())
                         : "no warning threshold",
                     section["mean_max_probability"].get<double>(), section["images"].get<std::size_t>(),
                     section["warning"].get<bool>() ? ": UNLIKE THE TRAINING DATA" : "");
}

}  // namespace skin
