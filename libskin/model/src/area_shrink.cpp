// area_shrink.cpp: separable area averaging (see the header for why and how it matches OpenCV).
// Built with -ffp-contract=off (libskin/CMakeLists.txt): a fused multiply-add would round once
// where OpenCV rounds twice, and the bits would differ.
#include "skin/model/area_shrink.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace skin {
namespace {

struct AreaTap {
  int source;    // source row or column
  float weight;  // its share of the output pixel's area, over the pixel's width
};

// Output index d covers source interval [d*scale, (d+1)*scale): the partly covered source pixels
// at either end weigh by their covered fraction, the whole ones in between by 1; all over the
// interval's width. Ends within 1e-3 of a pixel boundary count as on it (as in OpenCV).
std::vector<std::vector<AreaTap>> area_taps(int source_size, int output_size) {
  const double scale = double(source_size) / output_size;
  std::vector<std::vector<AreaTap>> taps(static_cast<std::size_t>(output_size));
  for (int d = 0; d < output_size; ++d) {
    const double begin = d * scale, end = begin + scale;
    const double width = std::min(scale, source_size - begin);
    const int last = std::min(int(std::floor(end)), source_size - 1);
    const int first = std::min(int(std::ceil(begin)), last);
    auto& tap = taps[std::size_t(d)];
    if (first - begin > 1e-3) tap.push_back({first - 1, float((first - begin) / width)});
    for (int s = first; s < last; ++s) tap.push_back({s, float(1.0 / width)});
    if (end - last > 1e-3) tap.push_back({last, float(std::min(std::min(end - last, 1.0), width) / width)});
  }
  return taps;
}

// out[i] = sum over taps of rows[tap.source][i] * tap.weight, accumulated in tap order.
void combine_rows(const std::vector<AreaTap>& taps, const cv::Mat& rows, float* out, int count) {
  const float* first = rows.ptr<float>(taps[0].source);
  const float w0 = taps[0].weight;
  for (int i = 0; i < count; ++i) out[i] = first[i] * w0;
  for (std::size_t k = 1; k < taps.size(); ++k) {
    const float* row = rows.ptr<float>(taps[k].source);
    const float w = taps[k].weight;
    for (int i = 0; i < count; ++i) out[i] = out[i] + row[i] * w;
  }
}

// The tables for the last sizes seen on this thread: a batch repeats the same sizes.
struct TapCache {
  cv::Size from, to;
  std::vector<std::vector<AreaTap>> columns, rows;
};

const TapCache& taps_for(cv::Size from, cv::Size to) {
  thread_local TapCache cache;
  if (cache.from != from || cache.to != to) {
    cache.columns = area_taps(from.width, to.width);
    cache.rows = area_taps(from.height, to.height);
    cache.from = from;
    cache.to = to;
  }
  return cache;
}

bool is_integer(double v) { return std::abs(v - std::round(v)) < 1e-12; }

}  // namespace

cv::Mat area_shrink(const cv::Mat& image, cv::Size size) {
  CV_Assert(image.type() == CV_8UC3 && size.width > 0 && size.height > 0 && size.width < image.cols &&
            size.height < image.rows);
  if (is_integer(double(image.cols) / size.width) && is_integer(double(image.rows) / size.height)) {
    cv::Mat out;
    cv::resize(image, out, size, 0, 0, cv::INTER_AREA);
    return out;
  }
  const TapCache& taps = taps_for(image.size(), size);
  // Column pass: on the transposed image, each output column is a weighted sum of source rows.
  cv::Mat transposed8, transposed;
  cv::transpose(image, transposed8);
  transposed8.convertTo(transposed, CV_32F);
  cv::Mat columns_t(size.width, image.rows, CV_32FC3);
  for (int x = 0; x < size.width; ++x)
    combine_rows(taps.columns[std::size_t(x)], transposed, columns_t.ptr<float>(x), image.rows * 3);
  cv::Mat columns;
  cv::transpose(columns_t, columns);  // image.rows x size.width
  // Row pass, then rounding to nearest (ties to even) and saturation, as cv::saturate_cast does.
  cv::Mat sums(size, CV_32FC3);
  for (int y = 0; y < size.height; ++y)
    combine_rows(taps.rows[std::size_t(y)], columns, sums.ptr<float>(y), size.width * 3);
  cv::Mat out;
  sums.convertTo(out, CV_8U);
  return out;
}

}  // namespace skin
