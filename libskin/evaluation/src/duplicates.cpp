// duplicates.cpp: pixel hashes, difference hashes, pairs and clusters.
#include "skin/evaluation/duplicates.hpp"

#include <algorithm>
#include <bit>
#include <map>
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

namespace {

double feature_cosine(const Fingerprint& a, const Fingerprint& b) {
  if (a.features.empty() || a.features.size() != b.features.size()) return 0;
  double dot = 0;
  for (std::size_t k = 0; k < a.features.size(); ++k) dot += double(a.features[k]) * b.features[k];
  return dot;
}

// Index pairs (a < b) whose features' dot product is >= min_cosine (prints without features take
// no part): blocks of rows against all rows as one matrix product each, so thousands of images take
// seconds.
std::vector<std::pair<std::size_t, std::size_t>> feature_pairs(const std::vector<Fingerprint>& prints,
                                                               double min_cosine) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::vector<std::size_t> with;  // prints with features of the common dimension
  std::size_t dim = 0;
  for (std::size_t i = 0; i < prints.size(); ++i) {
    if (prints[i].features.empty()) continue;
    if (dim == 0) dim = prints[i].features.size();
    if (prints[i].features.size() == dim) with.push_back(i);
  }
  if (with.size() < 2) return out;
  const int n = int(with.size());
  cv::Mat all(n, int(dim), CV_32F);
  for (int i = 0; i < n; ++i)
    std::copy(prints[with[std::size_t(i)]].features.begin(), prints[with[std::size_t(i)]].features.end(),
              all.ptr<float>(i));
  constexpr int kBlock = 512;
  cv::Mat similarity;
  for (int start = 0; start < n; start += kBlock) {
    const int end = std::min(n, start + kBlock);
    cv::gemm(all.rowRange(start, end), all, 1.0, cv::noArray(), 0.0, similarity, cv::GEMM_2_T);
    for (int i = start; i < end; ++i) {
      const float* row = similarity.ptr<float>(i - start);
      for (int j = i + 1; j < n; ++j)
        if (row[j] >= min_cosine - 1e-6) out.emplace_back(with[std::size_t(i)], with[std::size_t(j)]);
    }
  }
  return out;
}

}  // namespace

std::vector<DuplicatePair> near_duplicate_pairs(const std::vector<Fingerprint>& prints, int max_distance,
                                                double min_cosine) {
  std::map<std::pair<std::size_t, std::size_t>, DuplicatePair> found;
  for (std::size_t a = 0; a < prints.size(); ++a)
    for (std::size_t b = a + 1; b < prints.size(); ++b) {
      const bool exact = prints[a].pixels_sha256 == prints[b].pixels_sha256;
      const int d =
          exact ? 0 : std::min(hamming(prints[a].hash, prints[b].hash), hamming(prints[a].hash, prints[b].mirrored));
      if (exact || d <= max_distance) found[{a, b}] = {a, b, d, exact, true, false, 0};
    }
  if (min_cosine <= 1)
    for (const auto& [a, b] : feature_pairs(prints, min_cosine)) {
      const double cosine = feature_cosine(prints[a], prints[b]);
      if (cosine < min_cosine) continue;  // the float product's rounding: decided in double
      auto it = found.find({a, b});
      if (it == found.end()) {
        const int d = std::min(hamming(prints[a].hash, prints[b].hash), hamming(prints[a].hash, prints[b].mirrored));
        it = found.emplace(std::pair(a, b), DuplicatePair{a, b, d, false, false, false, 0}).first;
      }
      it->second.by_features = true;
    }
  std::vector<DuplicatePair> pairs;
  for (auto& [key, p] : found) {
    p.cosine = feature_cosine(prints[p.a], prints[p.b]);
    pairs.push_back(p);
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
