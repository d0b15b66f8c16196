// corruptions.cpp: the formulas behind evaluate --shift; tests/shift/check_corruptions_reference.py
// restates each one in numpy/PIL.
#include "skin/robustness/corruptions.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "skin/core/error.hpp"
#include "skin/robustness/artefacts.hpp"
#include "skin/robustness/random_stream.hpp"

namespace skin {
namespace {

using Levels = std::array<double, kMaxSeverity>;

struct Definition {
  Corruption corruption;
  const char* name;
  const char* what;  // "{}" takes the five levels
  Levels levels;
};

// Levels are ImageNet-C's where it has the corruption, milder where dermoscopes rarely go as far.
const Definition kDefinitions[] = {
    {Corruption::white_balance,
     "white_balance",
     "warm colour cast: red gain 1+k, blue gain 1-k, k =",
     {0.07, 0.14, 0.21, 0.28, 0.35}},
    {Corruption::gamma, "gamma", "darker mid-tones: 255 * (x/255)^g, g =", {1.2, 1.4, 1.6, 1.8, 2.0}},
    {Corruption::brightness, "brightness", "brighter exposure: x + 255 * b, b =", {0.06, 0.12, 0.18, 0.24, 0.30}},
    {Corruption::contrast,
     "contrast",
     "lower contrast: mean + c * (x - mean) over all pixels, c =",
     {0.75, 0.6, 0.45, 0.3, 0.15}},
    {Corruption::blur, "blur", "Gaussian blur, sigma (x shorter side/224, radius 3 sigma) =", {1, 2, 3, 4, 6}},
    {Corruption::defocus, "defocus", "defocus: mean over a disk, radius (x shorter side/224) =", {2, 3, 4, 6, 8}},
    {Corruption::jpeg, "jpeg", "JPEG re-compression (libjpeg, 4:2:0), quality =", {25, 18, 15, 10, 7}},
    {Corruption::noise,
     "noise",
     "Gaussian sensor noise per pixel and channel, sigma (x 255) =",
     {0.03, 0.06, 0.09, 0.12, 0.15}},
    {Corruption::vignette,
     "vignette",
     "dermoscope field of view: black outside a centred circle of radius f * half diagonal, "
     "1 - 0.3 (d/radius)^2 falloff inside, f =",
     {0.95, 0.85, 0.75, 0.65, 0.55}},
    {Corruption::zoom, "zoom", "zoom into the centre (bilinear), factor =", {1.15, 1.3, 1.5, 1.75, 2.0}},
    {Corruption::rotate,
     "rotate",
     "rotation about the centre (bilinear, mirrored border), degrees =",
     {12, 24, 36, 48, 60}},
    {Corruption::ink,
     "ink",
     "surgical-marker ink (violet, opacity 0.8): dashes and dots on a ring 1.15-1.5 lesion radii (at most 0.3 "
     "x shorter side) from the lesion's centre, never over its centre, marks =",
     {1, 2, 4, 6, 9}},
    {Corruption::hair,
     "hair",
     "dark curved hairs (quadratic Bezier, 1-2 px x shorter side/224 wide, opacity 0.9), strands =",
     {2, 4, 8, 14, 22}},
    {Corruption::ruler,
     "ruler",
     "a ruler along one edge (light band 12 px x shorter side/224, dark ticks every 4 px), share of the edge =",
     {0.3, 0.45, 0.6, 0.8, 1.0}},
    {Corruption::bubbles,
     "bubbles",
     "gel bubbles (bright rim, faint bright disk and highlight, radius 5-17 px x shorter side/224), bubbles =",
     {1, 2, 4, 7, 11}},
    {Corruption::patch,
     "patch",
     "a 2x2 colour-calibration chart (red, green, blue, yellow) in one corner, side as a share of the shorter "
     "side =",
     {0.10, 0.14, 0.18, 0.22, 0.26}},
};

const Definition& definition(Corruption c) {
  for (const auto& d : kDefinitions)
    if (d.corruption == c) return d;
  throw Error(ErrorKind::usage, "unknown corruption");
}

// Mirrored index without repeating the edge pixel (OpenCV's BORDER_REFLECT_101, numpy's 'reflect').
int reflect101(int i, int n) {
  if (n == 1) return 0;
  const int period = 2 * (n - 1);
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - i;
}

// Output pixel centres mapped back into the source by `to_source` (pixel-centre coordinates,
// origin at the image centre), sampled bilinearly with mirrored borders.
template <typename Map>
cv::Mat resample(const cv::Mat& src, Map to_source) {
  cv::Mat out(src.size(), CV_32FC3);
  const double cx = src.cols / 2.0, cy = src.rows / 2.0;
  for (int y = 0; y < src.rows; ++y) {
    auto* row = out.ptr<cv::Vec3f>(y);
    for (int x = 0; x < src.cols; ++x) {
      const auto [dx, dy] = to_source(x + 0.5 - cx, y + 0.5 - cy);
      const double u = cx + dx - 0.5, v = cy + dy - 0.5;
      const double fu = std::floor(u), fv = std::floor(v);
      const double ax = u - fu, ay = v - fv;
      const int x0 = int(fu), y0 = int(fv);
      const int xs[2] = {reflect101(x0, src.cols), reflect101(x0 + 1, src.cols)};
      const int ys[2] = {reflect101(y0, src.rows), reflect101(y0 + 1, src.rows)};
      const auto* r0 = src.ptr<cv::Vec3f>(ys[0]);
      const auto* r1 = src.ptr<cv::Vec3f>(ys[1]);
      for (int c = 0; c < 3; ++c) {
        const double top = r0[xs[0]][c] * (1 - ax) + r0[xs[1]][c] * ax;
        const double bottom = r1[xs[0]][c] * (1 - ax) + r1[xs[1]][c] * ax;
        row[x][c] = float(top * (1 - ay) + bottom * ay);
      }
    }
  }
  return out;
}

cv::Mat jpeg_recompress(const cv::Mat& bgr, int quality) {
  std::vector<std::uint8_t> bytes;
  if (!cv::imencode(".jpg", bgr, bytes, {cv::IMWRITE_JPEG_QUALITY, quality}))
    throw Error(ErrorKind::input, "jpeg re-compression failed");
  return cv::imdecode(bytes, cv::IMREAD_COLOR);
}

// `lesion`: the image's lesion geometry when the caller already has it (ink), else measured here.
cv::Mat apply(const cv::Mat& bgr8, Corruption c, double level, std::uint64_t seed,
              const LesionGeometry* lesion = nullptr) {
  cv::Mat f;
  bgr8.convertTo(f, CV_32FC3);
  const double scale = std::min(bgr8.cols, bgr8.rows) / 224.0;
  switch (c) {
    case Corruption::white_balance:
      cv::multiply(f, cv::Scalar(1 - level, 1, 1 + level), f);
      return f;
    case Corruption::gamma: {
      cv::Mat out;
      cv::pow(f / 255.0, level, out);
      return out * 255.0;
    }
    case Corruption::brightness:
      return f + cv::Scalar::all(255.0 * level);
    case Corruption::contrast: {
      const cv::Scalar per_channel = cv::mean(f);
      const double m = (per_channel[0] + per_channel[1] + per_channel[2]) / 3.0;
      cv::Mat out;
      f.convertTo(out, CV_32FC3, level, (1 - level) * m);
      return out;
    }
    case Corruption::blur: {
      const double sigma = level * scale;
      const int radius = int(std::ceil(3 * sigma));
      cv::Mat kernel(2 * radius + 1, 1, CV_64F);
      double total = 0;
      for (int i = -radius; i <= radius; ++i)
        total += kernel.at<double>(i + radius) = std::exp(-i * i / (2 * sigma * sigma));
      kernel /= total;
      cv::Mat out;
      cv::sepFilter2D(f, out, CV_32F, kernel, kernel, cv::Point(-1, -1), 0, cv::BORDER_REFLECT_101);
      return out;
    }
    case Corruption::defocus: {
      const double r = level * scale;
      const int radius = int(std::ceil(r));
      cv::Mat kernel = cv::Mat::zeros(2 * radius + 1, 2 * radius + 1, CV_64F);
      for (int y = -radius; y <= radius; ++y)
        for (int x = -radius; x <= radius; ++x)
          if (x * x + y * y <= r * r) kernel.at<double>(y + radius, x + radius) = 1;
      kernel /= cv::sum(kernel)[0];
      cv::Mat out;
      cv::filter2D(f, out, CV_32F, kernel, cv::Point(-1, -1), 0, cv::BORDER_REFLECT_101);
      return out;
    }
    case Corruption::jpeg: {
      cv::Mat out;
      jpeg_recompress(bgr8, int(level)).convertTo(out, CV_32FC3);
      return out;
    }
    case Corruption::noise: {
      const double sigma = 255.0 * level;
      auto* p = f.ptr<float>(0);  // convertTo's result is continuous
      const std::size_t n = f.total() * 3;
      for (std::size_t j = 0; j < n; ++j) {
        const std::uint64_t pair = j / 2;
        const double u1 = double((stream_value(seed, 2 * pair) >> 11) + 1) * 0x1p-53;
        const double u2 = double(stream_value(seed, 2 * pair + 1) >> 11) * 0x1p-53;
        const double radius = std::sqrt(-2.0 * std::log(u1)), angle = 2.0 * M_PI * u2;
        p[j] = float(p[j] + sigma * radius * (j % 2 == 0 ? std::cos(angle) : std::sin(angle)));
      }
      return f;
    }
    case Corruption::vignette: {
      const double cx = f.cols / 2.0, cy = f.rows / 2.0;
      const double radius = level * std::sqrt(double(f.cols) * f.cols + double(f.rows) * f.rows) / 2.0;
      for (int y = 0; y < f.rows; ++y) {
        auto* row = f.ptr<cv::Vec3f>(y);
        for (int x = 0; x < f.cols; ++x) {
          const double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
          const double d2 = (dx * dx + dy * dy) / (radius * radius);
          const double gain = d2 <= 1 ? 1 - 0.3 * d2 : 0;
          for (int k = 0; k < 3; ++k) row[x][k] = float(row[x][k] * gain);
        }
      }
      return f;
    }
    case Corruption::zoom:
      return resample(f, [z = level](double dx, double dy) { return std::pair(dx / z, dy / z); });
    case Corruption::rotate: {
      const double a = level * M_PI / 180.0, cs = std::cos(a), sn = std::sin(a);
      return resample(f, [cs, sn](double dx, double dy) { return std::pair(cs * dx + sn * dy, -sn * dx + cs * dy); });
    }
    case Corruption::ink:
      draw_ink(f, int(level), seed, lesion ? *lesion : lesion_geometry(bgr8));
      return f;
    case Corruption::hair:
      draw_hair(f, int(level), seed);
      return f;
    case Corruption::ruler:
      draw_ruler(f, level, seed);
      return f;
    case Corruption::bubbles:
      draw_bubbles(f, int(level), seed);
      return f;
    case Corruption::patch:
      draw_patch(f, level, seed);
      return f;
  }
  return f;
}

void check_severity(int severity) {
  if (severity < 0 || severity > kMaxSeverity)
    throw Error(ErrorKind::usage, fmt::format("severity {} is out of range (0-{})", severity, kMaxSeverity));
}

}  // namespace

const std::vector<Corruption>& all_corruptions() {
  static const std::vector<Corruption> all = [] {
    std::vector<Corruption> v;
    for (const auto& d : kDefinitions) v.push_back(d.corruption);
    return v;
  }();
  return all;
}

const char* corruption_name(Corruption c) { return definition(c).name; }

std::string corruption_description(Corruption c) {
  const Definition& d = definition(c);
  return fmt::format("{}: {} {}", d.name, d.what, fmt::join(d.levels, ", "));
}

bool is_artefact(Corruption c) {
  return c == Corruption::ink || c == Corruption::hair || c == Corruption::ruler || c == Corruption::bubbles ||
         c == Corruption::patch;
}

namespace {
// "all", "acquisition" or "artefacts".
std::vector<Corruption> corruption_preset(const std::string& name) {
  std::vector<Corruption> out;
  for (Corruption c : all_corruptions())
    if (name == "all" || (name == "artefacts") == is_artefact(c)) out.push_back(c);
  return out;
}
}  // namespace

std::vector<Corruption> parse_corruptions(const std::string& list) {
  std::vector<Corruption> out;
  auto add = [&out](Corruption c) {
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  };
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t end = std::min(list.find(',', start), list.size());
    const std::string name = list.substr(start, end - start);
    start = end + 1;
    if (name == "all" || name == "acquisition" || name == "artefacts") {
      for (Corruption c : corruption_preset(name)) add(c);
      continue;
    }
    const Definition* found = nullptr;
    for (const auto& d : kDefinitions)
      if (name == d.name) found = &d;
    if (!found) {
      std::vector<std::string> names;
      for (const auto& d : kDefinitions) names.emplace_back(d.name);
      throw Error(ErrorKind::usage, fmt::format("unknown corruption '{}' (known: all, acquisition, artefacts, {})",
                                                name, fmt::join(names, ", ")));
    }
    add(found->corruption);
  }
  return out;
}

std::uint64_t noise_seed(std::uint64_t seed, const std::string& image_id) {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (unsigned char ch : image_id) h = (h ^ ch) * 0x100000001b3ull;
  return h ^ splitmix64_mix(seed);
}

namespace {
// corrupt_float and corrupt with the image's lesion geometry when the caller already has it (ink).
cv::Mat corrupt_float_with(const cv::Mat& bgr, Corruption corruption, int severity, std::uint64_t seed,
                           const LesionGeometry* lesion) {
  check_severity(severity);
  if (bgr.type() != CV_8UC3) throw Error(ErrorKind::usage, "corruptions take 8-bit BGR images");
  if (severity == 0) {
    cv::Mat f;
    bgr.convertTo(f, CV_32FC3);
    return f;
  }
  return apply(bgr, corruption, definition(corruption).levels[std::size_t(severity - 1)], seed, lesion);
}

cv::Mat corrupt_with(const cv::Mat& bgr, Corruption corruption, int severity, std::uint64_t seed,
                     const LesionGeometry* lesion) {
  check_severity(severity);
  if (severity == 0) return bgr;
  if (corruption == Corruption::jpeg)
    return jpeg_recompress(bgr, int(definition(corruption).levels[std::size_t(severity - 1)]));
  cv::Mat out;
  corrupt_float_with(bgr, corruption, severity, seed, lesion).convertTo(out, CV_8UC3);  // rounds and clips to 0-255
  return out;
}
}  // namespace

cv::Mat corrupt_float(const cv::Mat& bgr, Corruption corruption, int severity, std::uint64_t seed) {
  return corrupt_float_with(bgr, corruption, severity, seed, nullptr);
}

cv::Mat corrupt(const cv::Mat& bgr, Corruption corruption, int severity, std::uint64_t seed) {
  return corrupt_with(bgr, corruption, severity, seed, nullptr);
}

std::vector<cv::Mat> corrupt_severities(const cv::Mat& bgr, Corruption corruption, std::uint64_t seed) {
  // Ink needs the lesion's outline, the same at every severity: measured once.
  LesionGeometry lesion;
  if (corruption == Corruption::ink && bgr.type() == CV_8UC3) lesion = lesion_geometry(bgr);
  std::vector<cv::Mat> out;
  for (int severity = 1; severity <= kMaxSeverity; ++severity)
    out.push_back(corrupt_with(bgr, corruption, severity, seed, corruption == Corruption::ink ? &lesion : nullptr));
  return out;
}

}  // namespace skin
