// explainer.cpp: saliency + explanation + rendered images for one image.
#include "skin/explain/explainer.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "skin/core/error.hpp"
#include "skin/explain/explanation.hpp"
#include "skin/input/image_io.hpp"
#include "skin/model/quality.hpp"

namespace skin {

std::size_t class_index_of(const Manifest& m, const std::string& label) {
  auto it = std::find(m.labels.begin(), m.labels.end(), label);
  if (it == m.labels.end())
    throw Error(ErrorKind::usage,
                fmt::format("class '{}': model '{}' has labels {}", label, m.name, fmt::join(m.labels, ", ")));
  return std::size_t(it - m.labels.begin());
}

ImageExplanation explain_image(Classifier& classifier, const cv::Mat& bgr, const ExplainRequest& request) {
  const Manifest& m = classifier.manifest();
  Saliency s = compute_saliency(classifier, bgr, request.method, request.class_index);
  ImageExplanation out;
  out.json = explain_prediction(m, s.probabilities, assess_quality(bgr, m.input));
  const std::string& label = m.labels[s.class_index];
  const double p = s.probabilities[s.class_index];
  out.json["saliency"] = {{"method", saliency_method_name(s.method)}, {"class", label}, {"probability", p}};
  out.overlay =
      render_overlay(bgr, s.map, fmt::format("{} {:.1f}% ({})", label, 100 * p, saliency_method_name(s.method)));
  out.heatmap = render_heatmap(s.map);
  out.input_map = s.input_map;
  return out;
}

ImageExplanation explain_file(Classifier& classifier, const std::string& path, const ImageLimits& limits,
                              const ExplainRequest& request) {
  return explain_image(classifier, load_image(path, limits), request);
}

void write_explanation_images(ImageExplanation& e, const std::string& dir, const std::string& id, bool with_map) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(ErrorKind::io, fmt::format("{}: cannot create directory ({})", dir, ec.message()));
  const std::string base = (std::filesystem::path(dir) / id).string();
  write_png(base + "_overlay.png", e.overlay);
  write_png(base + "_heatmap.png", e.heatmap);
  e.json["saliency"]["overlay"] = base + "_overlay.png";
  e.json["saliency"]["heatmap"] = base + "_heatmap.png";
  if (with_map) {
    write_float_tiff(base + "_saliency.tiff", e.input_map);
    e.json["saliency"]["map"] = base + "_saliency.tiff";
  }
}

}  // namespace skin
