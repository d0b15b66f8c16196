// skin/model/preprocess.hpp: turns a decoded BGR image into the model's input exactly as the
// manifest describes (resize mode, colour order, scale, mean/std).
#pragma once
#include <opencv2/core.hpp>

#include "skin/model/manifest.hpp"

namespace skin {

// Writes 3 * spec.height * spec.width floats (CHW) into `out`.
void preprocess_into(const cv::Mat& bgr, const InputSpec& spec, float* out);

// The resized 8-bit image (still BGR) that preprocess_into normalises; also used to map
// explanation heatmaps back onto the original image.
cv::Mat resize_for_model(const cv::Mat& bgr, const InputSpec& spec);

}  // namespace skin
