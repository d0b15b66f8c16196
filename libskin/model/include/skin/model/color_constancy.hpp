// skin/model/color_constancy.hpp: Shades of Gray colour constancy (Finlayson & Trezzi 2004): the
// illuminant of an image is estimated per channel as the Minkowski p-norm mean of its pixels,
// and each channel is scaled so that illuminant becomes neutral grey; values are clipped to
// [0, 255]. A model asks for it in its manifest (input.color_constancy, p = 6 is the usual
// choice in dermoscopy, Barata et al. 2015) because it was trained on normalised images. The
// reference is training/skintrain/color_constancy.py; tests hold the two to 1e-5 per pixel.
#pragma once
#include <array>

#include <opencv2/core.hpp>

namespace skin {

// Per-channel gains (in the image's own channel order) for an 8-bit 3-channel image:
// gain_c = |e| / (sqrt(3) e_c) with e_c = (mean of v^p)^(1/p). A channel that is zero
// everywhere keeps gain 1.
std::array<double, 3> shades_of_gray_gains(const cv::Mat& image8u3, double p);

// The normalised image as CV_32FC3 in 0-255 (not re-quantised).
cv::Mat shades_of_gray(const cv::Mat& image8u3, double p);

}  // namespace skin
