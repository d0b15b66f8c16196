// skin/robustness/corruptions.hpp: synthetic acquisition changes for robustness evaluation (evaluate --shift),
// in the spirit of ImageNet-C (Hendrycks & Dietterich 2019) and of Maron et al. 2021 for
// dermoscopy: colour casts, exposure, blur, compression, sensor noise, the dermoscope's circular
// field of view, zoom and rotation (the acquisition changes), and things drawn over the skin that a
// classifier may take as a shortcut: ink, hair, a ruler, gel bubbles, a colour patch (the artefacts,
// artefacts.hpp); each at severities 1-5.
//
// Each corruption works on a decoded 8-bit BGR image in floating point (0-255) and rounds back to
// 8 bits at the end (JPEG works on 8 bits throughout). Geometric sizes (blur sigma, defocus radius)
// are in units of the image's shorter side / 224, so that a severity means the same whatever the
// resolution an image was decoded at. Only `noise` and the artefacts draw random numbers: from the
// seed and the image's id, so a run is reproducible and each image gets its own draw.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace skin {

enum class Corruption {
  white_balance,
  gamma,
  brightness,
  contrast,
  blur,
  defocus,
  jpeg,
  noise,
  vignette,
  zoom,
  rotate,
  ink,
  hair,
  ruler,
  bubbles,
  patch
};

inline constexpr int kMaxSeverity = 5;

// Every corruption, in the order reports list them.
const std::vector<Corruption>& all_corruptions();
const char* corruption_name(Corruption corruption);
// One line: what the corruption does and its parameter at severities 1-5 (for --help and reports).
std::string corruption_description(Corruption corruption);

// Whether a corruption is drawn over the skin (ink, hair, ruler, bubbles, patch) rather than an
// acquisition change.
bool is_artefact(Corruption corruption);

// Comma-separated names and presets (all; acquisition: the 11 acquisition changes; artefacts: the
// five artefacts), in the order given without repeats; Error(usage) naming an unknown name and
// listing the known ones.
std::vector<Corruption> parse_corruptions(const std::string& list);

// The random stream `noise` draws from for one image.
std::uint64_t noise_seed(std::uint64_t seed, const std::string& image_id);

// `corruption` at `severity` (0: the image unchanged; Error(usage) outside 0-5) applied to an
// 8-bit BGR image; returns 8-bit BGR of the same size.
cv::Mat corrupt(const cv::Mat& bgr, Corruption corruption, int severity, std::uint64_t noise_seed);
// The same at severities 1 to kMaxSeverity, in order, sharing the work every severity needs (ink's
// lesion outline).
std::vector<cv::Mat> corrupt_severities(const cv::Mat& bgr, Corruption corruption, std::uint64_t noise_seed);

// The floating-point result before rounding to 8 bits (CV_32FC3, 0-255, not yet clipped), which
// the reference tests compare; for jpeg it is the decoded 8-bit result as floats.
cv::Mat corrupt_float(const cv::Mat& bgr, Corruption corruption, int severity, std::uint64_t noise_seed);

}  // namespace skin
