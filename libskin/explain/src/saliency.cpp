// saliency.cpp: Grad-CAM with LibTorch autograd, occlusion sensitivity, and rendering.
#include "skin/explain/saliency.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>
#include <torch/script.h>

#include "skin/core/error.hpp"
#include "skin/model/classifier_impl.hpp"
#include "skin/model/preprocess.hpp"

namespace skin {
namespace {

cv::Mat normalise01(cv::Mat m) {
  double lo, hi;
  cv::minMaxLoc(m, &lo, &hi);
  if (hi <= 0) return cv::Mat::zeros(m.size(), CV_32F);
  cv::Mat out;
  m.convertTo(out, CV_32F, 1.0 / hi);
  return cv::max(out, 0.0f);
}

// Grad-CAM (Selvaraju et al. 2017) or, with `plus_plus`, Grad-CAM++ (Chattopadhay et al. 2018)
// in the closed form for an exponentiated class score that pytorch-grad-cam uses, from one
// 1 x C x h x w feature map and the class score's gradient; upsampled to the model input and
// scaled to [0, 1].
cv::Mat cam_from(const torch::Tensor& features, const torch::Tensor& grads, bool plus_plus, const InputSpec& spec) {
  if (features.dim() != 4) throw Error(ErrorKind::model, "the features method must return an N x C x H x W map");
  torch::Tensor weights;
  if (!plus_plus) {
    weights = grads.mean({2, 3}, true);  // channel weights: spatially averaged gradients
  } else {
    const auto g2 = grads.pow(2), g3 = grads.pow(3);
    const auto activation_sums = features.sum({2, 3}, true);
    auto alpha = g2 / (2 * g2 + activation_sums * g3 + 1e-7);
    alpha = torch::where(grads != 0, alpha, torch::zeros_like(alpha));
    weights = (torch::relu(grads) * alpha).sum({2, 3}, true);
  }
  auto cam = torch::relu((weights * features).sum(1)).squeeze(0).detach().contiguous();
  cv::Mat small(int(cam.size(0)), int(cam.size(1)), CV_32F, cam.data_ptr<float>());
  // Bilinear, as pytorch-grad-cam upsamples: smooth, and never the blocks of nearest-neighbour.
  cv::Mat resized;
  cv::resize(small, resized, cv::Size(spec.width, spec.height), 0, 0, cv::INTER_LINEAR);
  return normalise01(resized);
}

// The feature maps Grad-CAM differentiates and the class scores they give, members x 1 x classes:
// one map and its head's logits for a single model; for an ensemble, each member's own map and its
// calibrated logits, each score depending on its own map only. The maps require grad.
struct ScoredMaps {
  std::vector<torch::Tensor> maps;
  torch::Tensor logits;
};

ScoredMaps scored_maps(Classifier& c, const torch::Tensor& x) {
  auto& module = c.impl().module;
  const Manifest& m = c.manifest();
  ScoredMaps out;
  try {
    if (m.member_features_method.empty()) {
      out.maps.push_back(module.get_method(m.features_method)({x}).toTensor().detach().requires_grad_(true));
      out.logits = module.get_method(m.head_method)({out.maps[0]}).toTensor().unsqueeze(0);
    } else {
      for (const auto& map : module.get_method(m.member_features_method)({x}).toTensorList())
        out.maps.push_back(torch::Tensor(map).detach().requires_grad_(true));
      out.logits = module.get_method(m.member_logits_method)({c10::List<torch::Tensor>(out.maps)}).toTensor();
    }
  } catch (const std::exception& e) {
    std::string what = e.what();
    throw Error(ErrorKind::model, fmt::format("grad-cam methods failed ({})", what.substr(0, what.find('\n'))));
  }
  if (out.logits.dim() != 3 || out.logits.size(0) != std::int64_t(out.maps.size()) || out.logits.size(1) != 1)
    throw Error(ErrorKind::model, m.member_features_method.empty()
                                      ? "the head method must return N x classes"
                                      : "the member_logits method must return members x N x classes");
  return out;
}

// Each map's CAM for its own score of the class, upsampled to the input, combined weighted by the
// member's share of the averaged probability of that class, p_m / sum_j p_j (a single model's map
// as it is).
cv::Mat grad_cam(Classifier& c, std::vector<float>& input, std::size_t cls, bool plus_plus) {
  const InputSpec& spec = c.manifest().input;
  torch::AutoGradMode enable(true);
  const auto x = torch::from_blob(input.data(), {1, 3, spec.height, spec.width}, torch::kFloat32).clone();
  const ScoredMaps scored = scored_maps(c, x);
  // Each score depends on its own map only, so one backward pass gives every map's gradient.
  scored.logits.select(2, std::int64_t(cls)).sum().backward();
  const torch::NoGradGuard no_grad;
  if (scored.maps.size() == 1) return cam_from(scored.maps[0], scored.maps[0].grad(), plus_plus, spec);
  const auto share = torch::softmax(scored.logits.detach(), 2).select(2, std::int64_t(cls)).flatten();
  const auto shares = (share / share.sum().clamp_min(1e-30)).contiguous();
  cv::Mat combined = cv::Mat::zeros(spec.height, spec.width, CV_32F);
  for (std::size_t m = 0; m < scored.maps.size(); ++m)
    combined +=
        shares[std::int64_t(m)].item<float>() * cam_from(scored.maps[m], scored.maps[m].grad(), plus_plus, spec);
  return normalise01(combined);
}

// Patch positions along one side: every `stride` pixels, each patch inside the image, the last
// one flush with the far edge.
std::vector<int> patch_starts(int side, int patch, int stride) {
  std::vector<int> starts;
  for (int p = 0; p + patch < side; p += stride) starts.push_back(p);
  starts.push_back(std::max(0, side - patch));
  return starts;
}

// The patch grid's values (rows ys, columns xs of patch starts) over an image of `size`: bilinear
// between the patch centres (the last patch may sit closer than the stride), the outermost values
// held beyond them; exact weights (warpAffine quantises positions to 1/32 of a cell).
cv::Mat interpolate_patch_grid(const cv::Mat& drops, const std::vector<int>& xs, const std::vector<int>& ys, int patch,
                               cv::Size size) {
  struct Tap {
    int lo, hi;
    float w;  // weight of hi
  };
  auto taps = [](const std::vector<int>& starts, int patch_side, int side) {
    std::vector<double> centre;
    for (int s0 : starts) centre.push_back(s0 + patch_side / 2.0 - 0.5);
    std::vector<Tap> out(std::size_t(side), Tap{0, 0, 0.0f});
    for (int x = 0; x < side; ++x) {
      std::size_t k = 0;
      while (k + 2 < centre.size() && x > centre[k + 1]) ++k;
      if (centre.size() < 2 || x <= centre.front()) continue;  // held at the first centre's value
      const double w = std::min(1.0, (x - centre[k]) / (centre[k + 1] - centre[k]));
      out[std::size_t(x)] = Tap{int(k), int(k + 1), float(w)};
    }
    return out;
  };
  const auto tx = taps(xs, std::min(patch, size.width), size.width);
  const auto ty = taps(ys, std::min(patch, size.height), size.height);
  cv::Mat map(size, CV_32F);
  for (int y = 0; y < size.height; ++y) {
    const Tap& v = ty[std::size_t(y)];
    for (int x = 0; x < size.width; ++x) {
      const Tap& u = tx[std::size_t(x)];
      const float top = drops.at<float>(v.lo, u.lo) * (1 - u.w) + drops.at<float>(v.lo, u.hi) * u.w;
      const float bottom = drops.at<float>(v.hi, u.lo) * (1 - u.w) + drops.at<float>(v.hi, u.hi) * u.w;
      map.at<float>(y, x) = top * (1 - v.w) + bottom * v.w;
    }
  }
  return map;
}

bool is_occlusion(SaliencyMethod m) { return m == SaliencyMethod::occlusion || m == SaliencyMethod::occlusion_blur; }

// The preprocessed input (CHW) with each channel plane Gaussian-blurred (reflected borders).
std::vector<float> blurred_input(const std::vector<float>& input, const InputSpec& spec, double sigma) {
  std::vector<float> out(input.size());
  const std::size_t plane = std::size_t(spec.width) * spec.height;
  for (std::size_t ch = 0; ch < 3; ++ch) {
    const cv::Mat from(spec.height, spec.width, CV_32F, const_cast<float*>(input.data() + ch * plane));
    cv::Mat to(spec.height, spec.width, CV_32F, out.data() + ch * plane);
    cv::GaussianBlur(from, to, cv::Size(0, 0), sigma, sigma, cv::BORDER_REFLECT_101);
  }
  return out;
}

// Occlusion sensitivity (Zeiler & Fergus 2014): the probability lost when a patch covers each
// position, batched: a mean-colour patch (zero after normalisation), or with `blur` the same
// patch of the input blurred with sigma = patch / 4. Each drop is placed at its patch's centre
// and the grid is interpolated bilinearly over the input (replicated beyond the outermost
// centres): smooth, where averaging the hard-edged boxes leaves steps at every box edge.
cv::Mat occlusion(Classifier& c, const std::vector<float>& input, std::size_t cls, float base_probability, bool blur) {
  const InputSpec& spec = c.manifest().input;
  const int patch = std::max(4, std::min(spec.width, spec.height) / 8), stride = std::max(2, patch / 2);
  const std::vector<float> fill = blur ? blurred_input(input, spec, patch / 4.0) : std::vector<float>{};
  const std::vector<int> xs = patch_starts(spec.width, patch, stride), ys = patch_starts(spec.height, patch, stride);
  std::vector<cv::Rect> boxes;
  for (int y : ys)
    for (int x : xs) boxes.emplace_back(x, y, std::min(patch, spec.width), std::min(patch, spec.height));
  cv::Mat drops(int(ys.size()), int(xs.size()), CV_32F);
  const std::size_t plane = std::size_t(spec.width) * spec.height, batch = kEfficientBatchSize, n = c.num_classes();
  std::vector<float> buffer;
  for (std::size_t start = 0; start < boxes.size(); start += batch) {
    const std::size_t m = std::min(batch, boxes.size() - start);
    buffer.resize(m * input.size());
    for (std::size_t i = 0; i < m; ++i) {
      float* img = buffer.data() + i * input.size();
      std::copy(input.begin(), input.end(), img);
      const cv::Rect& b = boxes[start + i];
      for (int ch = 0; ch < 3; ++ch)
        for (int y = b.y; y < b.y + b.height; ++y) {
          const std::size_t at = ch * plane + std::size_t(y) * spec.width + std::size_t(b.x);
          if (blur)
            std::copy_n(fill.data() + at, b.width, img + at);
          else
            std::fill_n(img + at, b.width, 0.0f);
        }
    }
    auto probs = c.predict(buffer.data(), m);
    for (std::size_t i = 0; i < m; ++i)
      drops.at<float>(int((start + i) / xs.size()), int((start + i) % xs.size())) =
          std::max(0.0f, base_probability - probs[i * n + cls]);
  }
  return normalise01(interpolate_patch_grid(drops, xs, ys, patch, cv::Size(spec.width, spec.height)));
}

}  // namespace

SaliencyMethod parse_saliency_method(const std::string& name) {
  if (name == "auto") return SaliencyMethod::automatic;
  if (name == "gradcam") return SaliencyMethod::grad_cam;
  if (name == "gradcampp") return SaliencyMethod::grad_cam_pp;
  if (name == "occlusion") return SaliencyMethod::occlusion;
  if (name == "occlusion-blur") return SaliencyMethod::occlusion_blur;
  throw Error(
      ErrorKind::usage,
      fmt::format("unknown saliency method '{}' (use auto, gradcam, gradcampp, occlusion or occlusion-blur)", name));
}

const char* saliency_method_name(SaliencyMethod method) {
  switch (method) {
    case SaliencyMethod::occlusion:
      return "occlusion";
    case SaliencyMethod::occlusion_blur:
      return "occlusion-blur";
    case SaliencyMethod::grad_cam_pp:
      return "grad-cam++";
    default:
      return "grad-cam";
  }
}

SaliencyMethod resolve_saliency_method(const Classifier& c, SaliencyMethod method) {
  if (method == SaliencyMethod::automatic) return kDefaultSaliencyMethod;
  if (!is_occlusion(method) && !supports_grad_cam(c))
    throw Error(ErrorKind::usage,
                fmt::format("model '{}' exports no features/head methods: use --method occlusion", c.manifest().name));
  return method;
}

bool supports_grad_cam(const Classifier& c) {
  return !c.manifest().features_method.empty() || !c.manifest().member_features_method.empty();
}

Saliency compute_saliency(Classifier& c, const cv::Mat& bgr, SaliencyMethod method, std::optional<std::size_t> cls) {
  method = resolve_saliency_method(c, method);
  std::vector<float> input(c.input_size());
  preprocess_into(bgr, c.manifest().input, input.data());
  Saliency s;
  s.method = method;
  s.probabilities = c.predict(input.data(), 1);
  s.class_index =
      cls ? *cls
          : std::size_t(std::max_element(s.probabilities.begin(), s.probabilities.end()) - s.probabilities.begin());
  if (s.class_index >= c.num_classes()) throw Error(ErrorKind::usage, "class index out of range");
  s.input_map = is_occlusion(method) ? occlusion(c, input, s.class_index, s.probabilities[s.class_index],
                                                 method == SaliencyMethod::occlusion_blur)
                                     : grad_cam(c, input, s.class_index, method == SaliencyMethod::grad_cam_pp);
  s.map = map_to_image(s.input_map, bgr.size(), c.manifest().input);
  return s;
}

cv::Mat map_to_image(const cv::Mat& m, cv::Size original, const InputSpec& spec) {
  cv::Mat out;
  switch (spec.resize) {
    case ResizeMode::stretch:
      cv::resize(m, out, original, 0, 0, cv::INTER_LINEAR);
      return out;
    case ResizeMode::center_crop: {
      // The input shows the centre of the image scaled by s; outside it nothing was seen.
      double s = std::max(double(spec.width) / original.width, double(spec.height) / original.height);
      cv::Size scaled(std::max(spec.width, int(original.width * s + 0.5)),
                      std::max(spec.height, int(original.height * s + 0.5)));
      cv::Mat canvas = cv::Mat::zeros(scaled, CV_32F);
      m.copyTo(canvas(
          cv::Rect((scaled.width - spec.width) / 2, (scaled.height - spec.height) / 2, spec.width, spec.height)));
      cv::resize(canvas, out, original, 0, 0, cv::INTER_LINEAR);
      return out;
    }
    case ResizeMode::pad: {
      double s = std::min(double(spec.width) / original.width, double(spec.height) / original.height);
      cv::Size scaled(std::max(1, int(original.width * s + 0.5)), std::max(1, int(original.height * s + 0.5)));
      cv::Rect inner((spec.width - scaled.width) / 2, (spec.height - scaled.height) / 2, scaled.width, scaled.height);
      cv::resize(m(inner), out, original, 0, 0, cv::INTER_LINEAR);
      return out;
    }
  }
  return out;
}

cv::Mat render_heatmap(const cv::Mat& map) {
  cv::Mat grey;
  map.convertTo(grey, CV_8U, 255.0);
  return grey;
}

cv::Mat render_overlay(const cv::Mat& bgr, const cv::Mat& map, const std::string& caption) {
  cv::Mat colour, out;
  cv::applyColorMap(render_heatmap(map), colour, cv::COLORMAP_JET);
  cv::addWeighted(bgr, 0.55, colour, 0.45, 0, out);
  const double scale = std::max(0.35, std::min(out.cols, out.rows) / 600.0);
  const int thick = std::max(1, int(scale * 2)), pad = int(8 * scale) + 2;
  // Colour bar on the right edge: low at the bottom, high at the top.
  const int bar_w = std::max(6, out.cols / 40), bar_h = out.rows * 2 / 3, x0 = out.cols - bar_w - pad,
            y0 = (out.rows - bar_h) / 2;
  cv::Mat ramp(bar_h, 1, CV_8U);
  for (int i = 0; i < bar_h; ++i) ramp.at<std::uint8_t>(i) = std::uint8_t(255 - 255 * i / std::max(1, bar_h - 1));
  cv::Mat ramp_colour;
  cv::applyColorMap(ramp, ramp_colour, cv::COLORMAP_JET);
  cv::resize(ramp_colour, ramp_colour, cv::Size(bar_w, bar_h), 0, 0, cv::INTER_NEAREST);
  ramp_colour.copyTo(out(cv::Rect(x0, y0, bar_w, bar_h)));
  cv::rectangle(out, cv::Rect(x0, y0, bar_w, bar_h), cv::Scalar(255, 255, 255), 1);
  auto label = [&](const std::string& t, int y) {
    int base = 0;
    cv::Size sz = cv::getTextSize(t, cv::FONT_HERSHEY_SIMPLEX, scale * 0.8, thick, &base);
    cv::Point at(std::max(0, x0 - sz.width - 4), y);
    cv::putText(out, t, at, cv::FONT_HERSHEY_SIMPLEX, scale * 0.8, cv::Scalar(0, 0, 0), thick + 2, cv::LINE_AA);
    cv::putText(out, t, at, cv::FONT_HERSHEY_SIMPLEX, scale * 0.8, cv::Scalar(255, 255, 255), thick, cv::LINE_AA);
  };
  label("high", y0 + int(12 * scale));
  label("low", y0 + bar_h);
  // Caption on a dark band at the top.
  int base = 0;
  cv::Size sz = cv::getTextSize(caption, cv::FONT_HERSHEY_SIMPLEX, scale, thick, &base);
  cv::Mat band = out(cv::Rect(0, 0, out.cols, std::min(out.rows, sz.height + 2 * pad)));
  band *= 0.35;
  cv::putText(out, caption, cv::Point(pad, sz.height + pad), cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(255, 255, 255),
              thick, cv::LINE_AA);
  return out;
}

}  // namespace skin
