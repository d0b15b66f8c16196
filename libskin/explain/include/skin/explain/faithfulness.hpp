// skin/explain/faithfulness.hpp: how faithful a saliency method is, measured with the model itself.
// Deletion: the pixels a ranking puts first are replaced, 10% at a time, by a blurred copy of
// the image, and the explained class's probability is recorded; a faithful map makes it fall
// fast (low area under the curve). Insertion: the reverse, from the blurred image revealing the
// top-ranked pixels first; it should rise fast (high area). Each image is measured for the
// method's map and for two rankings that need no model: random pixels and the centre prior
// (pixels nearest the image centre first), the baseline a lesion-centred dataset makes hard to
// beat. The same blurred pixels are used for every ranking, so only the order differs.
#pragma once
#include <array>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "skin/explain/saliency.hpp"
#include "skin/model/classifier.hpp"

namespace skin {

enum class Ranking { method, random, centre };
inline constexpr std::array<Ranking, 3> kRankings = {Ranking::method, Ranking::random, Ranking::centre};
const char* ranking_name(Ranking ranking);  // "method", "random", "centre"

struct FaithfulnessOptions {
  int steps = 10;           // curve points at 0, 1/steps, ..., 1 of the pixels
  double blur_sigma = 8.0;  // Gaussian blur of the replaced pixels, in original-image pixels
  unsigned seed = 1;        // random ranking and tie-breaking; image k uses seed + k
  std::size_t bootstrap = 1000;
};

struct Curve {
  std::vector<double> probability;  // steps + 1 values, from 0% to 100% of the pixels
  double area() const;              // trapezoidal area under the curve over [0, 1]
  // Probability lost when `fraction` of the pixels are replaced (interpolated between points).
  double drop_at(double fraction) const;
};

struct ImageFaithfulness {
  std::size_t class_index = 0;
  double probability = 0;  // of the explained class on the unmodified image
  double saliency_seconds = 0;
  double heatmap_step = 0;                   // heatmap_step_p999() of the method's map
  std::array<Curve, 3> deletion, insertion;  // indexed like kRankings
};

// Blockiness of a map: the 99.9th percentile of the steps between neighbouring pixels of its
// 8-bit heatmap resized to 224x224, in grey levels (nearest-neighbour blocks give large steps).
double heatmap_step_p999(const cv::Mat& map);

// Pixel order for a ranking: indices of map (CV_32F) pixels, most relevant first. Ties (e.g. the
// zeros a ReLU leaves) are broken by a seeded random order, never by position.
std::vector<int> rank_pixels(const cv::Mat& map, unsigned seed);
// The centre prior at `size`: 1 at the centre, falling with the distance relative to the size.
cv::Mat centre_prior(cv::Size size);

// Computes the method's saliency for the top class and all six curves, batching the forward passes.
ImageFaithfulness measure_faithfulness(Classifier& classifier, const cv::Mat& bgr, SaliencyMethod method,
                                       const FaithfulnessOptions& options, std::size_t image_index);

// Mean with a percentile bootstrap CI over images (resampled with replacement, fixed seed).
struct MeanCi {
  double mean = 0, low = 0, high = 0;
};
MeanCi bootstrap_mean(const std::vector<double>& values, std::size_t resamples, unsigned seed);

// The report: options, per-image values (from `paths` and `images`, same order) and for each
// ranking the mean curves and the mean deletion area, insertion area and drop at 20%, with CIs,
// plus the paired differences method - random and method - centre.
nlohmann::json faithfulness_report(const std::string& method, const std::vector<std::string>& labels,
                                   const std::vector<std::string>& paths, const std::vector<ImageFaithfulness>& images,
                                   const FaithfulnessOptions& options);

}  // namespace skin
