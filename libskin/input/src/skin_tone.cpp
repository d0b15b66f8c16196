// skin_tone.cpp: CIELAB, the lesion mask and the ITA median.
#include "skin/input/skin_tone.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace skin {
namespace {

double srgb_to_linear(double c) { return c > 0.04045 ? std::pow((c + 0.055) / 1.055, 2.4) : c / 12.92; }
double lab_f(double t) { return t > 0.008856 ? std::cbrt(t) : 7.787 * t + 16.0 / 116.0; }

// Otsu's threshold of values in [0, 100] on a 256-bin histogram: the bin edge between the two
// classes that maximises the between-class variance (bin centres as the values).
double otsu_threshold(const cv::Mat& values) {
  std::array<double, 256> hist{};
  for (int y = 0; y < values.rows; ++y)
    for (int x = 0; x < values.cols; ++x) {
      const double v = std::clamp(values.at<double>(y, x), 0.0, 100.0);
      hist[std::size_t(std::min(255.0, std::floor(v / 100.0 * 256.0)))] += 1;
    }
  double total = 0, sum = 0;
  for (std::size_t i = 0; i < 256; ++i) total += hist[i], sum += hist[i] * (double(i) + 0.5);
  double w0 = 0, sum0 = 0, best = -1;
  std::size_t best_i = 0;
  for (std::size_t i = 0; i < 255; ++i) {
    w0 += hist[i];
    sum0 += hist[i] * (double(i) + 0.5);
    const double w1 = total - w0;
    if (w0 == 0 || w1 == 0) continue;
    const double m0 = sum0 / w0, m1 = (sum - sum0) / w1;
    const double between = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (between > best) best = between, best_i = i;
  }
  return double(best_i + 1) * 100.0 / 256.0;  // values below this edge are dark
}

}  // namespace

std::string ita_category(double ita) {
  if (ita > 55) return "very_light";
  if (ita > 41) return "light";
  if (ita > 28) return "intermediate";
  if (ita > 10) return "tan";
  if (ita > -30) return "brown";
  return "dark";
}

cv::Mat skin_tone_working_image(const cv::Mat& bgr8) {
  const double scale = double(kWorkingSide) / double(std::max(bgr8.cols, bgr8.rows));
  if (scale >= 1) return bgr8.clone();
  cv::Mat out;
  cv::resize(
      bgr8, out,
      cv::Size(std::max(1, int(std::lround(bgr8.cols * scale))), std::max(1, int(std::lround(bgr8.rows * scale)))), 0,
      0, cv::INTER_AREA);
  return out;
}

cv::Mat srgb_to_lab(const cv::Mat& bgr8) {
  static const double m[3][3] = {
      {0.412453, 0.357580, 0.180423}, {0.212671, 0.715160, 0.072169}, {0.019334, 0.119193, 0.950227}};
  static const double white[3] = {0.95047, 1.0, 1.08883};  // D65, 2 degree observer
  std::array<double, 256> linear{};
  for (int v = 0; v < 256; ++v) linear[std::size_t(v)] = srgb_to_linear(v / 255.0);
  cv::Mat lab(bgr8.size(), CV_64FC3);
  for (int y = 0; y < bgr8.rows; ++y)
    for (int x = 0; x < bgr8.cols; ++x) {
      const cv::Vec3b& p = bgr8.at<cv::Vec3b>(y, x);
      const double rgb[3] = {linear[p[2]], linear[p[1]], linear[p[0]]};
      double f[3];
      for (int c = 0; c < 3; ++c) f[c] = lab_f((m[c][0] * rgb[0] + m[c][1] * rgb[1] + m[c][2] * rgb[2]) / white[c]);
      lab.at<cv::Vec3d>(y, x) = {116.0 * f[1] - 16.0, 500.0 * (f[0] - f[1]), 200.0 * (f[1] - f[2])};
    }
  return lab;
}

ToneMasks skin_tone_masks(const cv::Mat& lab) {
  ToneMasks out;
  cv::Mat lightness, smooth;
  cv::extractChannel(lab, lightness, 0);
  cv::GaussianBlur(lightness, smooth, cv::Size(0, 0), 2.0, 2.0, cv::BORDER_REFLECT);
  out.otsu_l = otsu_threshold(smooth);
  out.dark = smooth < out.otsu_l;
  cv::Mat labels;
  const int count = cv::connectedComponents(out.dark, labels, 8, CV_32S);
  // The lesion: the dark component with the most pixels in the central half, else the largest.
  std::vector<std::size_t> central(std::size_t(count), 0), area(std::size_t(count), 0);
  const cv::Rect centre(lab.cols / 4, lab.rows / 4, std::max(1, lab.cols / 2), std::max(1, lab.rows / 2));
  for (int y = 0; y < labels.rows; ++y)
    for (int x = 0; x < labels.cols; ++x) {
      const auto k = std::size_t(labels.at<int>(y, x));
      if (k == 0) continue;
      ++area[k];
      if (centre.contains(cv::Point(x, y))) ++central[k];
    }
  std::size_t lesion = 0;
  for (std::size_t k = 1; k < std::size_t(count); ++k)
    if (central[k] > central[lesion] || (central[lesion] == 0 && central[k] == 0 && area[k] > area[lesion])) lesion = k;
  out.lesion = cv::Mat::zeros(lab.size(), CV_8U);
  if (lesion > 0) {
    out.lesion = labels == int(lesion);
    const int radius = std::max(1, int(std::lround(0.05 * std::min(lab.cols, lab.rows))));
    cv::dilate(out.lesion, out.lesion,
               cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * radius + 1, 2 * radius + 1)));
  }
  return out;
}

std::optional<SkinTone> measure_skin_tone(const cv::Mat& bgr8) {
  const cv::Mat working = skin_tone_working_image(bgr8);
  const cv::Mat lab = srgb_to_lab(working);
  const ToneMasks masks = skin_tone_masks(lab);
  std::vector<double> angles;
  for (int y = 0; y < lab.rows; ++y)
    for (int x = 0; x < lab.cols; ++x)
      if (!masks.lesion.at<std::uint8_t>(y, x) && !masks.dark.at<std::uint8_t>(y, x)) {
        const cv::Vec3d& v = lab.at<cv::Vec3d>(y, x);
        angles.push_back(std::atan2(v[0] - 50.0, v[2]) * 180.0 / M_PI);
      }
  const double share = double(angles.size()) / double(lab.total());
  if (angles.empty() || share < kMinSkinShare) return std::nullopt;
  // The median as numpy takes it: the mean of the two middle values for an even count.
  const std::size_t mid = angles.size() / 2;
  std::nth_element(angles.begin(), angles.begin() + long(mid), angles.end());
  double median = angles[mid];
  if (angles.size() % 2 == 0) median = 0.5 * (median + *std::max_element(angles.begin(), angles.begin() + long(mid)));
  return SkinTone{median, ita_category(median), share};
}

}  // namespace skin
