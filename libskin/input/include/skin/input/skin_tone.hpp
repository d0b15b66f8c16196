// skin/input/skin_tone.hpp: the individual typology angle (ITA) of the skin around a lesion, a proxy
// for skin tone where no Fitzpatrick label exists (Kinyanjui et al., MICCAI 2020; categories of
// Chardon et al. 1991). Measured on the colours as decoded, before any colour constancy (which
// would erase the tone), on a working copy whose long side is kWorkingSide pixels:
//   1. CIELAB from sRGB (D65, 2 degree observer; the formulas of scikit-image's rgb2lab);
//   2. lesion mask: L* smoothed (Gaussian, sigma 2 px), Otsu's threshold on its 256-bin histogram
//      over [0, 100]; of the dark connected components (8-connected) the lesion is the one with the
//      most pixels in the central half of the image (the largest when none reaches it), dilated by
//      a disk of 5% of the short side;
//   3. skin = not the dilated lesion and not dark (other dark components are dermoscope corners,
//      hair, ink);
//   4. ITA = median over the skin pixels of atan2(L* - 50, b*) x 180 / pi, in degrees.
// It is a proxy for constitutive skin colour under the dermoscope's light, not a Fitzpatrick type.
#pragma once
#include <optional>
#include <string>

#include <opencv2/core.hpp>

namespace skin {

inline constexpr int kWorkingSide = 256;
inline constexpr double kMinSkinShare = 0.05;  // fewer skin pixels than this share: no ITA

struct SkinTone {
  double ita = 0;         // degrees
  std::string category;   // very_light, light, intermediate, tan, brown, dark
  double skin_share = 0;  // of the working image's pixels
};

// Chardon's six categories: very_light > 55, light (41, 55], intermediate (28, 41], tan (10, 28],
// brown (-30, 10], dark <= -30.
std::string ita_category(double ita);

// The working copy: the decoded 8-bit BGR image resized (area) so its long side is kWorkingSide.
cv::Mat skin_tone_working_image(const cv::Mat& bgr8);
// CIELAB (CV_64FC3: L*, a*, b*) of an 8-bit BGR image.
cv::Mat srgb_to_lab(const cv::Mat& bgr8);
// The dilated lesion mask (CV_8U, 255 = lesion) and the dark mask (255 = below Otsu) of a Lab image.
struct ToneMasks {
  cv::Mat lesion, dark;
  double otsu_l = 0;
};
ToneMasks skin_tone_masks(const cv::Mat& lab);

// ITA of an 8-bit BGR image as decoded; nullopt when too little skin is visible.
std::optional<SkinTone> measure_skin_tone(const cv::Mat& bgr8);

}  // namespace skin
