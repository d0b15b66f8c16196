// skin/robustness/random_stream.hpp: the random numbers of the corruptions that draw any (noise,
// the artefacts): splitmix64 (Steele et al. 2014), whose k-th output is mix(seed + (k + 1) x golden
// gamma), so any element can be computed on its own, in any order, and restated in numpy.
#pragma once
#include <cstdint>

namespace skin {

inline constexpr std::uint64_t kGoldenGamma = 0x9E3779B97F4A7C15ull;

inline std::uint64_t splitmix64_mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The k-th output of the stream seeded `seed`.
inline std::uint64_t stream_value(std::uint64_t seed, std::uint64_t k) {
  return splitmix64_mix(seed + (k + 1) * kGoldenGamma);
}

}  // namespace skin
