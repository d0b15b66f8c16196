// skin/explain/explainer.hpp: one call that explains one image: saliency map (Grad-CAM or occlusion),
// the plain-language explanation (differential, risk, next step, warnings, quality) and the
// rendered overlay and heatmap images. Used by `skinscan explain` and by the HTTP server.
#pragma once
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "skin/explain/saliency.hpp"
#include "skin/input/image.hpp"
#include "skin/model/classifier.hpp"

namespace skin {

struct ExplainRequest {
  SaliencyMethod method = SaliencyMethod::automatic;
  std::optional<std::size_t> class_index;  // default: the top class
};

struct ImageExplanation {
  nlohmann::json json;  // explain_prediction() plus "saliency": {method, class, probability}
  cv::Mat overlay;      // BGR, original size: heatmap on the image, colour bar and caption
  cv::Mat heatmap;      // 8-bit grey, original size
  cv::Mat input_map;    // CV_32F saliency at the model input's size
};

// The class index of `label` in the model's labels; Error(usage) listing them when absent.
std::size_t class_index_of(const Manifest& manifest, const std::string& label);

ImageExplanation explain_image(Classifier& classifier, const cv::Mat& bgr, const ExplainRequest& request);
// Decodes the image file (load_image: Error(input) naming the file when it is not a usable
// image) and explains it.
ImageExplanation explain_file(Classifier& classifier, const std::string& path, const ImageLimits& limits,
                              const ExplainRequest& request);

// Writes DIR/<id>_overlay.png and DIR/<id>_heatmap.png (DIR created if needed), with `with_map`
// also DIR/<id>_saliency.tiff (input_map), and records their paths in explanation.json["saliency"].
void write_explanation_images(ImageExplanation& explanation, const std::string& dir, const std::string& id,
                              bool with_map = false);

}  // namespace skin
