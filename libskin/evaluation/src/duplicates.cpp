// duplicates.cpp: pixel hashes, difference hashes, pairs and clusters.
#include "skin/evaluation/duplicates.hpp"

#include <algorithm>
#include <bit>
#include <numeric>

#include <opencv2/imgproc.hpp>

#include "skin/core/sha256.hpp"

namespace skin {

DHash difference_hash(const cv::Mat& bgr8) {
  cv::Mat grey, small;
  cv::cvtColor(bgr8, grey, cv::COLOR_BGR2GRAY);
  cv::resize(grey, small, cv::Size(17, 16), 0, 0, cv::INTER_AREA);
  DHash h{};
  std::size_t bit = 0;
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x, ++bit)
      if (small.at<std::uint8_t>(y, x) > small.at<std::uint8_t>(y, x + 1))
        h[bit / 64] |= std::uint64_t{1} << (bit % 64);
  return h;
}

int hamming(const DHash& a, const DHash& b) {
  int d = 0;
  for (std::size_t i = 0; i < 4; ++i) d += __builtin_popcountll(a[i] ^ b[i]);
  return d;
}

Fingerprint fingerprint(const std::string& id, const std::string& path, const cv::Mat& bgr8) {
  Fingerprint f;
  f.id = id;
  f.path = path;
  const cv::Mat continuous = bgr8.isContinuous() ? bgr8 : bgr8.clone();
  f.pixels_sha256 = sha256_hex(
      std::string(reinterpret_cast<const char*>(continuous.data), continuous.total() * continuous.elemSize()) +
      std::to_string(bgr8.cols) + "x" + std::to_string(bgr8.rows));
  f.hash = difference_hash(bgr8);
  cv::Mat flipped;
  cv::flip(bgr8, flipped, 1);
  f.mirrored = difference_hash(flipped);
  return f;
}

std::vector<DuplicatePair> near_duplicate_pairs(const std::vector<Fingerprint>& prints, int max_distance) {
  std::vector<DuplicatePair> pairs;
  for (std::size_t a = 0; a < prints.size(); ++a)
    for (std::size_t b = a + 1; b < prints.size(); ++b) {
      const bool exact = prints[a].pixels_sha256 == prints[b].pixels_sha256;
      const int d =
          exact ? 0 : std::min(hamming(prints[a].hash, prints[b].hash), hamming(prints[a].hash, prints[b].mirrored));
      if (exact || d <= max_distance) pairs.push_back({a, b, d, exact});
    }
  std::sort(pairs.begin(), pairs.end(), [](const DuplicatePair& x, const DuplicatePair& y) {
    return std::tie(x.distance, x.a, x.b) < std::tie(y.distance, y.a, y.b);
  });
  return pairs;
}

std::vector<std::vector<std::size_t>> duplicate_clusters(std::size_t count, const std::vector<DuplicatePair>& pairs) {
  std::vector<std::size_t> parent(count);
  std::iota(parent.begin(), parent.end(), std::size_t{0});
  auto root = [&](std::size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  for (const auto& p : pairs) parent[root(p.a)] = root(p.b);
  std::vector<std::vector<std::size_t>> by_root(count);
  for (std::size_t i = 0; i < count; ++i) by_root[root(i)].push_back(i);
  std::vector<std::vector<std::size_t>> clusters;
  for (auto& c : by_root)
    if (c.size() > 1) clusters.push_back(std::move(c));
  std::stable_sort(clusters.begin(), clusters.end(), [](const auto& x, const auto& y) { return x.size() > y.size(); });
  return clusters;
}

}  // namespace skin
