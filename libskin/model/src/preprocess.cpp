// preprocess.cpp: resize + normalise into a CHW float buffer without intermediate tensors.
#include "skin/model/preprocess.hpp"

#include <algorithm>
#include <array>

#include <opencv2/imgproc.hpp>

#include "skin/model/area_shrink.hpp"
#include "skin/model/color_constancy.hpp"

namespace skin {
namespace {

// Area interpolation when shrinking (anti-aliased, like PIL's resize), linear when enlarging.
cv::Mat resized_to(const cv::Mat& image, const cv::Size& to) {
  const bool shrinking = to.width < image.cols && to.height < image.rows;
  if (shrinking && image.type() == CV_8UC3) return area_shrink(image, to);  // OpenCV's INTER_AREA, faster
  cv::Mat out;
  cv::resize(image, out, to, 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

}  // namespace

cv::Mat resize_for_model(const cv::Mat& bgr, const InputSpec& spec) {
  const cv::Size target(spec.width, spec.height);
  cv::Mat out;
  switch (spec.resize) {
    case ResizeMode::stretch:
      if (bgr.size() == target) return bgr;
      return resized_to(bgr, target);
    case ResizeMode::center_crop: {
      // Scale so the image covers the target, then cut the centre.
      double s = std::max(double(target.width) / bgr.cols, double(target.height) / bgr.rows);
      cv::Size scaled(std::max(target.width, int(bgr.cols * s + 0.5)),
                      std::max(target.height, int(bgr.rows * s + 0.5)));
      cv::Mat resized = resized_to(bgr, scaled);
      cv::Rect roi((scaled.width - target.width) / 2, (scaled.height - target.height) / 2, target.width, target.height);
      return resized(roi).clone();
    }
    case ResizeMode::pad: {
      // Scale so the image fits, then centre it on black.
      double s = std::min(double(target.width) / bgr.cols, double(target.height) / bgr.rows);
      cv::Size scaled(std::max(1, int(bgr.cols * s + 0.5)), std::max(1, int(bgr.rows * s + 0.5)));
      cv::Mat resized = resized_to(bgr, scaled);
      out = cv::Mat::zeros(target, bgr.type());
      resized.copyTo(out(cv::Rect((target.width - scaled.width) / 2, (target.height - scaled.height) / 2, scaled.width,
                                  scaled.height)));
      return out;
    }
  }
  return bgr;
}

void preprocess_into(const cv::Mat& bgr, const InputSpec& spec, float* out) {
  cv::Mat resized = resize_for_model(bgr, spec);
  const std::size_t plane = std::size_t(spec.width) * spec.height;
  // Output channel c takes BGR channel src[c].
  const int src[3] = {spec.color_order == ColorOrder::rgb ? 2 : 0, 1, spec.color_order == ColorOrder::rgb ? 0 : 2};
  // Colour constancy on the resized image, as in training (training/skintrain/color_constancy.py).
  std::array<double, 3> gains{1.0, 1.0, 1.0};
  if (spec.shades_of_gray_p > 0) gains = shades_of_gray_gains(resized, spec.shades_of_gray_p);
  // Each channel's 256 possible values mapped once (gain, clip, normalise), then looked up: the
  // same arithmetic per value as computing it per pixel, at a fraction of the cost. Without colour
  // constancy the gain is 1, and min(255, v * 1) is v exactly.
  float value[3][256];
  for (int c = 0; c < 3; ++c) {
    const float mul = 1.0f / (spec.scale * spec.std[c]), add = -spec.mean[c] / spec.std[c];
    const double g = gains[std::size_t(src[c])];
    for (int v = 0; v < 256; ++v) value[c][v] = float(std::min(255.0, v * g)) * mul + add;
  }
  for (int y = 0; y < resized.rows; ++y) {
    const auto* row = resized.ptr<cv::Vec3b>(y);
    for (int c = 0; c < 3; ++c) {
      float* dst = out + c * plane + std::size_t(y) * spec.width;
      const float* map = value[c];
      const int channel = src[c];
      for (int x = 0; x < resized.cols; ++x) dst[x] = map[row[x][channel]];
    }
  }
}

}  // namespace skin
