// duplicates_test.cpp: difference hashes, pairs and clusters (skin/evaluation/duplicates.hpp).
#include "skin/evaluation/duplicates.hpp"

#include <doctest/doctest.h>
#include <opencv2/imgproc.hpp>

namespace {

cv::Mat duplicate_test_blobs(int seed) {
  cv::Mat small(6, 8, CV_8UC3), big;
  cv::RNG rng{std::uint64_t(seed)};
  rng.fill(small, cv::RNG::UNIFORM, 0, 256);
  cv::resize(small, big, cv::Size(160, 120), 0, 0, cv::INTER_CUBIC);
  return big;
}

}  // namespace

TEST_CASE("copies are near, unrelated images far; flips are caught through the mirrored hash") {
  const cv::Mat a = duplicate_test_blobs(1), b = duplicate_test_blobs(2);
  cv::Mat half, flipped;
  cv::resize(a, half, cv::Size(80, 60), 0, 0, cv::INTER_AREA);
  cv::flip(a, flipped, 1);
  const std::vector<skin::Fingerprint> prints{
      skin::fingerprint("a", "", a), skin::fingerprint("b", "", b), skin::fingerprint("half", "", half),
      skin::fingerprint("flipped", "", flipped), skin::fingerprint("same", "", a.clone())};
  CHECK(skin::hamming(prints[0].hash, prints[1].hash) > 60);
  CHECK(skin::hamming(prints[0].hash, prints[2].hash) <= 8);
  const auto pairs = skin::near_duplicate_pairs(prints, 20);
  auto has = [&](std::size_t x, std::size_t y) {
    for (const auto& p : pairs)
      if (p.a == x && p.b == y) return true;
    return false;
  };
  CHECK(has(0, 2));
  CHECK(has(0, 3));  // the flip
  CHECK(has(0, 4));
  CHECK_FALSE(has(0, 1));
  for (const auto& p : pairs) CHECK(p.exact == (p.a == 0 && p.b == 4));  // only the pixel copy is exact
  const auto clusters = skin::duplicate_clusters(prints.size(), pairs);
  REQUIRE(clusters.size() == 1);
  CHECK(clusters[0] == std::vector<std::size_t>{0, 2, 3, 4});
}

TEST_CASE("feature pairs: cosine at or above the threshold, merged with hash pairs, off without features") {
  const cv::Mat a = duplicate_test_blobs(1), b = duplicate_test_blobs(2), c = duplicate_test_blobs(3);
  std::vector<skin::Fingerprint> prints{skin::fingerprint("a", "", a), skin::fingerprint("b", "", b),
                                        skin::fingerprint("c", "", c), skin::fingerprint("a2", "", a.clone())};
  // Unit vectors: a ~ b at cosine 0.96 (unlike pixels), a ~ c at 0.8, a2 = a (pixel copy, same features).
  prints[0].features = {1, 0, 0};
  prints[1].features = {0.96f, 0.28f, 0};
  prints[2].features = {0.8f, 0, 0.6f};
  prints[3].features = {1, 0, 0};
  const auto off = skin::near_duplicate_pairs(prints, 20);
  REQUIRE(off.size() == 1);  // only the pixel copy
  CHECK(off[0].exact);
  CHECK(off[0].by_hash);
  CHECK_FALSE(off[0].by_features);
  const auto on = skin::near_duplicate_pairs(prints, 20, 0.95);
  auto find = [&](std::size_t x, std::size_t y) -> const skin::DuplicatePair* {
    for (const auto& p : on)
      if (p.a == x && p.b == y) return &p;
    return nullptr;
  };
  const auto* ab = find(0, 1);
  REQUIRE(ab != nullptr);
  CHECK(ab->by_features);
  CHECK_FALSE(ab->by_hash);
  CHECK(ab->cosine == doctest::Approx(0.96).epsilon(1e-6));
  CHECK(ab->distance > 20);  // reported, though not what paired them
  CHECK(find(0, 2) == nullptr);
  const auto* copy = find(0, 3);
  REQUIRE(copy != nullptr);
  CHECK((copy->exact && copy->by_hash && copy->by_features));
  CHECK(find(1, 3) != nullptr);  // b ~ a2 as b ~ a
  // An image without features takes no part in feature pairs.
  prints[1].features.clear();
  CHECK(skin::near_duplicate_pairs(prints, 20, 0.95).size() == 1);
}
