// quality.cpp: cheap quality checks with OpenCV.
#include "skin/model/quality.hpp"

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "skin/model/preprocess.hpp"

namespace skin {

std::vector<QualityCheck> assess_quality(const cv::Mat& bgr, const InputSpec& spec) {
  std::vector<QualityCheck> checks;
  cv::Mat grey, lap;
  cv::cvtColor(resize_for_model(bgr, spec), grey, cv::COLOR_BGR2GRAY);
  cv::Laplacian(grey, lap, CV_64F);
  cv::Scalar mean, stddev;
  cv::meanStdDev(lap, mean, stddev);
  QualityCheck blur{"blur", stddev[0] * stddev[0], "variance of the Laplacian >= 10", true, ""};
  blur.ok = blur.score >= 10;
  if (!blur.ok)
    blur.message =
        fmt::format("image looks blurred (sharpness {:.1f}, expected >= 10): retake it in focus", blur.score);
  checks.push_back(blur);

  cv::Mat full_grey;
  cv::cvtColor(bgr, full_grey, cv::COLOR_BGR2GRAY);
  QualityCheck exposure{"exposure", cv::mean(full_grey)[0], "mean grey level between 60 and 230", true, ""};
  if (exposure.score < 60)
    exposure.message = fmt::format("image is too dark (mean level {:.0f} of 255)", exposure.score);
  if (exposure.score > 230)
    exposure.message = fmt::format("image is too bright (mean level {:.0f} of 255)", exposure.score);
  exposure.ok = exposure.message.empty();
  checks.push_back(exposure);

  const int min_side = std::min(bgr.cols, bgr.rows), need = std::min(spec.width, spec.height) / 2;
  QualityCheck size{"size", double(min_side), fmt::format("shorter side >= {} px", need), min_side >= need, ""};
  if (!size.ok)
    size.message =
        fmt::format("image is small ({}x{}, shorter side under {} px): details may be lost", bgr.cols, bgr.rows, need);
  checks.push_back(size);
  return checks;
}

nlohmann::json quality_to_json(const std::vector<QualityCheck>& checks) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& q : checks)
    out.push_back({{"check", q.name}, {"score", q.score}, {"rule", q.rule}, {"ok", q.ok}, {"message", q.message}});
  return out;
}

}  // namespace skin
