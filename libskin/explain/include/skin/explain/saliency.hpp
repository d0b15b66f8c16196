// skin/explain/saliency.hpp: where the model looked. For any model, occlusion sensitivity (a sliding
// mean-colour patch, batched, interpolated between patch centres); Grad-CAM or Grad-CAM++ on the
// last convolutional feature map (through the `features`/`head` methods a model exports, or each
// member's own map for an ensemble), upsampled bilinearly. Maps are CV_32F in [0, 1] at the size
// of the original image.
#pragma once
#include <optional>
#include <string>

#include <opencv2/core.hpp>

#include "skin/model/classifier.hpp"

namespace skin {

// occlusion_blur: occlusion whose patches hold a blurred copy of the input instead of the mean
// colour (the perturbation the faithfulness curves apply, so its map ranks by the same question).
enum class SaliencyMethod { automatic, grad_cam, grad_cam_pp, occlusion, occlusion_blur };
// "auto", "gradcam", "gradcampp", "occlusion", "occlusion-blur"
SaliencyMethod parse_saliency_method(const std::string& name);
const char* saliency_method_name(SaliencyMethod method);
// What `automatic` means, for every model: blurred-patch occlusion, the only method measured to beat
// the centre prior with a CI on unseen clinics' images (docs/explain.md, "Measuring faithfulness");
// it needs no exported methods.
inline constexpr SaliencyMethod kDefaultSaliencyMethod = SaliencyMethod::occlusion_blur;

struct Saliency {
  cv::Mat map;        // CV_32F, original image size, 1 = most relevant
  cv::Mat input_map;  // the same at the model input's size, before mapping back onto the image
  SaliencyMethod method = SaliencyMethod::grad_cam;
  std::size_t class_index = 0;
  std::vector<float> probabilities;  // of the unmodified image
};

bool supports_grad_cam(const Classifier& classifier);
// The concrete method `method` stands for with this model; Error(usage) when the model cannot do it.
SaliencyMethod resolve_saliency_method(const Classifier& classifier, SaliencyMethod method);

// `class_index` defaults to the top class. `automatic` is kDefaultSaliencyMethod.
Saliency compute_saliency(Classifier& classifier, const cv::Mat& bgr, SaliencyMethod method,
                          std::optional<std::size_t> class_index = std::nullopt);

// Maps a model-input-sized map back onto the original image geometry (inverse of the resize mode).
cv::Mat map_to_image(const cv::Mat& input_map, cv::Size original, const InputSpec& spec);

// Heatmap blended on the image, with a colour bar and `caption`; same size as `bgr`.
cv::Mat render_overlay(const cv::Mat& bgr, const cv::Mat& map, const std::string& caption);
// The raw map as an 8-bit grey image (255 = most relevant).
cv::Mat render_heatmap(const cv::Mat& map);

}  // namespace skin
