// skin/model/quality.hpp: image quality checks that make a prediction less trustworthy: blur,
// exposure and size. Each check has a score, a threshold and a message.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "skin/model/manifest.hpp"

namespace skin {

struct QualityCheck {
  std::string name;  // "blur", "exposure", "size"
  double score = 0;
  std::string rule;  // what passing means, with the threshold
  bool ok = true;
  std::string message;  // empty when ok
};

// Blur: variance of the Laplacian of the grey image at the model's input size (below 10 is
// blurry; real HAM10000 images have a 1st percentile of 14). Exposure: mean grey level, 60 to
// 230 (HAM10000: 1st-99th percentile 105-200). Size: the shorter side is at least half the
// model's input side, so the model is not looking at an upscaled thumbnail.
std::vector<QualityCheck> assess_quality(const cv::Mat& bgr, const InputSpec& spec);

// [{check, score, rule, ok, message}], as classify --quality and explain report them.
nlohmann::json quality_to_json(const std::vector<QualityCheck>& checks);

}  // namespace skin
