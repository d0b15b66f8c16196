// skin/robustness/artefacts.hpp: things that lie on or over the skin, drawn onto a decoded image to
// test whether a classifier reads them instead of the lesion (shortcut learning): surgical-marker ink
// (Winkler et al., JAMA Dermatology 2019), hair, a ruler, gel bubbles and a colour-calibration patch
// (Bissoto et al., CVPR-W 2019/2020). They are corruptions of evaluate --shift (corruptions.hpp)
// with severities 1-5; a higher severity draws the marks of the lower ones and more.
//
// Every mark is drawn in floating point from closed-form shapes, so a numpy restatement can redraw
// it exactly (tests/shift/check_corruptions_reference.py):
//   - a primitive is a capsule (the points within a half-width of a segment; a dot is a zero-length
//     segment) or an axis-aligned box; its coverage of a pixel is clamp(half-width + 0.5 - d, 0, 1)
//     with d the distance from the pixel's centre (x + 0.5, y + 0.5) to the segment, per axis for a box
//     (the product of the two), i.e. a one-pixel soft edge;
//   - primitives are painted in order: out = out + opacity * coverage * (colour - out);
//   - sizes are in units of the shorter side / 224 (`scale`), as for the other corruptions;
//   - random numbers: the k-th uniform of the image's stream is
//     (splitmix64(seed + (k + 1) * golden gamma) >> 11) * 2^-53 (the stream `noise` uses), and mark i
//     uses uniforms 8i .. 8i + 7, so the marks of severity s are the first marks of severity s + 1.
#pragma once
#include <cstdint>

#include <opencv2/core.hpp>

namespace skin {

// Where ink goes: around the lesion. Centre and radius (pixels of the image given) of the lesion
// mask of skin_tone.hpp (Otsu on L*, the dark component at the centre, dilated by 5% of the short
// side); the image centre and a fifth of the shorter side when no lesion is found.
struct LesionGeometry {
  double cx = 0, cy = 0, radius = 0;
  bool found = false;
};
LesionGeometry lesion_geometry(const cv::Mat& bgr8);

// The radius ink's ring is built on: the lesion's, at most 0.3 of the shorter side. No ink falls
// within half of it from the lesion centre.
double ink_ring_radius(const cv::Mat& image, const LesionGeometry& lesion);

// The k-th uniform in [0, 1) of the stream seeded `seed`.
double artefact_uniform(std::uint64_t seed, std::uint64_t k);

// Each artefact's drawing at `count` (ink, hair, bubbles: number of marks), `fraction` (ruler: share
// of the edge it spans; patch: side as a share of the shorter image side). `f` is CV_32FC3 BGR
// (0-255) and is painted in place.
void draw_ink(cv::Mat& f, int count, std::uint64_t seed, const LesionGeometry& lesion);
void draw_hair(cv::Mat& f, int count, std::uint64_t seed);
void draw_ruler(cv::Mat& f, double fraction, std::uint64_t seed);
void draw_bubbles(cv::Mat& f, int count, std::uint64_t seed);
void draw_patch(cv::Mat& f, double fraction, std::uint64_t seed);

}  // namespace skin
