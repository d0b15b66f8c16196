// color_constancy.cpp: Shades of Gray gains and their application.
#include "skin/model/color_constancy.hpp"

#include <cmath>

namespace skin {

std::array<double, 3> shades_of_gray_gains(const cv::Mat& image, double p) {
  CV_Assert(image.type() == CV_8UC3);
  // v^p for the 256 possible values once; sums in double (255^6 ~ 2.7e14 per pixel).
  double power[256];
  for (int v = 0; v < 256; ++v) power[v] = std::pow(double(v), p);
  double sum[3] = {0, 0, 0};
  for (int y = 0; y < image.rows; ++y) {
    const auto* row = image.ptr<cv::Vec3b>(y);
    for (int x = 0; x < image.cols; ++x)
      for (int c = 0; c < 3; ++c) sum[c] += power[row[x][c]];
  }
  const double n = double(image.total());
  double e[3], norm = 0;
  for (int c = 0; c < 3; ++c) {
    e[c] = std::pow(sum[c] / n, 1.0 / p);
    norm += e[c] * e[c];
  }
  norm = std::sqrt(norm);
  std::array<double, 3> gains{1.0, 1.0, 1.0};
  if (norm == 0) return gains;
  for (int c = 0; c < 3; ++c)
    if (e[c] > 0) gains[std::size_t(c)] = norm / (e[c] * std::sqrt(3.0));
  return gains;
}

cv::Mat shades_of_gray(const cv::Mat& image, double p) {
  const auto gains = shades_of_gray_gains(image, p);
  cv::Mat out(image.size(), CV_32FC3);
  for (int y = 0; y < image.rows; ++y) {
    const auto* src = image.ptr<cv::Vec3b>(y);
    auto* dst = out.ptr<cv::Vec3f>(y);
    for (int x = 0; x < image.cols; ++x)
      for (int c = 0; c < 3; ++c) dst[x][c] = float(std::min(255.0, src[x][c] * gains[std::size_t(c)]));
  }
  return out;
}

}  // namespace skin
