// skin/evaluation/duplicates.hpp: exact and near-duplicate images (skinscan audit). Exact: the
// SHA-256 of the decoded pixels (so a re-encoded copy of the same pixels is exact, a re-saved JPEG
// is not). Near: a 256-bit difference hash (dHash: the grey image resized to 17 x 16, one bit per
// horizontally adjacent pair, left brighter than right) of the image and of its mirror image, pairs
// within `max_distance` bits (the smaller of the two distances, so flips are caught). With a model,
// also the cosine similarity of its pooled features (what the network sees, so crops and rotations
// a hash misses): pairs at or above `min_cosine`. Pairs are joined into clusters (connected
// components).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace skin {

using DHash = std::array<std::uint64_t, 4>;

struct Fingerprint {
  std::string id, path;
  std::string pixels_sha256;
  DHash hash{}, mirrored{};
  std::vector<float> features{};             // unit-length pooled model features; empty without a model
  std::vector<std::string> quality_flags{};  // quality checks the image fails (blur, exposure, size)
};

DHash difference_hash(const cv::Mat& bgr8);
int hamming(const DHash& a, const DHash& b);
Fingerprint fingerprint(const std::string& id, const std::string& path, const cv::Mat& bgr8);

struct DuplicatePair {
  std::size_t a = 0, b = 0;  // indices into the fingerprints, a < b
  int distance = 0;          // bits; 0 for exact duplicates too
  bool exact = false;
  bool by_hash = false;      // exact, or within max_distance bits
  bool by_features = false;  // cosine >= min_cosine
  double cosine = 0;         // of the features; 0 when the images have none
};

// Feature pairs are off when min_cosine > 1 or the prints have no features.
inline constexpr double kNoFeaturePairs = 2.0;

// Every pair within max_distance bits (exact pixel copies always) or, where the prints carry
// features, with cosine similarity >= min_cosine; sorted by distance, then a, b.
std::vector<DuplicatePair> near_duplicate_pairs(const std::vector<Fingerprint>& prints, int max_distance,
                                                double min_cosine = kNoFeaturePairs);

// Connected components of the pairs with more than one member, each sorted, largest first.
std::vector<std::vector<std::size_t>> duplicate_clusters(std::size_t count, const std::vector<DuplicatePair>& pairs);

}  // namespace skin
