// cli/explain.cpp: `skinscan explain IMAGE...`: saliency overlay, differential, risk level,
// next step and warnings for each image.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "skin/json_text.hpp"
#include "common.hpp"
#include "skin/error.hpp"
#include "skin/explanation.hpp"
#include "skin/image_io.hpp"
#include "skin/prediction.hpp"
#include "skin/quality.hpp"
#include "skin/saliency.hpp"

namespace cli {
namespace {

struct ExplainOptions {
  CommonOptions common;
  ImageOptions image;
  std::vector<std::string> images;
  std::string class_label, method = "auto", out;
  bool json = false;
};

void run(const ExplainOptions& o) {
  const skin::SaliencyMethod method = skin::parse_saliency_method(o.method);
  skin::Classifier classifier = load_classifier(o.common);
  const skin::Manifest& m = classifier.manifest();
  std::optional<std::size_t> cls;
  if (!o.class_label.empty()) {
    auto it = std::find(m.labels.begin(), m.labels.end(), o.class_label);
    if (it == m.labels.end())
      throw skin::Error(skin::ErrorKind::usage, fmt::format("--class {}: model '{}' has labels {}", o.class_label, m.name,
                                                            fmt::join(m.labels, ", ")));
    cls = std::size_t(it - m.labels.begin());
  }
  if (!o.out.empty()) std::filesystem::create_directories(o.out);
  nlohmann::json results = nlohmann::json::array();
  std::size_t failed = 0;
  for (const auto& path : o.images) {
    cv::Mat bgr;
    try {
      bgr = skin::load_image(path, o.image.limits());
    } catch (const skin::Error& e) {
      std::fprintf(stderr, "skinscan: error: %s\n", e.what());
      results.push_back({{"path", path}, {"error", e.what()}});
      ++failed;
      continue;
    }
    skin::Saliency s = skin::compute_saliency(classifier, bgr, method, cls);
    nlohmann::json e = skin::explain_prediction(m, s.probabilities, skin::assess_quality(bgr, m.input));
    const std::string& label = m.labels[s.class_index];
    e["saliency"] = {{"method", skin::saliency_method_name(s.method)}, {"class", label},
                     {"probability", s.probabilities[s.class_index]}};
    if (!o.out.empty()) {
      const std::string id = skin::image_id(path), base = (std::filesystem::path(o.out) / id).string();
      std::string caption = fmt::format("{} {:.1f}% ({})", label, 100 * s.probabilities[s.class_index],
                                        skin::saliency_method_name(s.method));
      skin::write_png(base + "_overlay.png", skin::render_overlay(bgr, s.map, caption));
      skin::write_png(base + "_heatmap.png", skin::render_heatmap(s.map));
      e["saliency"]["overlay"] = base + "_overlay.png";
      e["saliency"]["heatmap"] = base + "_heatmap.png";
    }
    if (o.json) {
      e["path"] = path;
      results.push_back(std::move(e));
    } else {
      std::string text = fmt::format("{}\n{}", path, skin::explanation_text(e));
      text += fmt::format("  Saliency ({} for {}): {}\n\n", skin::saliency_method_name(s.method), label,
                          o.out.empty() ? "use --out DIR to write the overlay" : e["saliency"]["overlay"].get<std::string>());
      std::fputs(text.c_str(), stdout);
    }
  }
  if (o.json) {
    nlohmann::json doc = {{"model", {{"name", m.name}, {"version", m.version}}}, {"results", results},
                          {"sources", skin::lesion_info()["sources"]}, {"disclaimer", kDisclaimer}};
    std::cout << skin::json_text(doc, 2) << "\n";
  } else if (failed < o.images.size()) {
    std::printf("%s\n", skin::lesion_info()["disclaimer"].get<std::string>().c_str());
  }
  exit_code() = failed ? kItemsFailed : kOk;
}

}  // namespace

void setup_explain(CLI::App& app) {
  auto o = std::make_shared<ExplainOptions>();
  auto* sub = app.add_subcommand("explain", "Show where the model looked and what the prediction means");
  sub->add_option("images", o->images, "Image files")->required()->group("Input");
  add_image_options(*sub, o->image);
  sub->add_option("--class", o->class_label, "Explain this label instead of the top one")->group("Saliency");
  sub->add_option("--method", o->method, "auto (Grad-CAM when the model exports features/head), gradcam, occlusion")
      ->check(CLI::IsMember({"auto", "gradcam", "occlusion"}))->capture_default_str()->group("Saliency");
  sub->add_option("-o,--out", o->out, "Write <id>_overlay.png and <id>_heatmap.png (original size) into DIR")
      ->group("Output");
  sub->add_flag("--json", o->json, "Print everything as one JSON object")->group("Output");
  add_common_options(*sub, o->common);
  sub->footer(std::string("Examples:\n"
                          "  skinscan explain --out explained/ lesion.jpg\n"
                          "  skinscan explain --class mel --method occlusion --json lesion.jpg\n"
                          "Risk rule: summed malignant probability >= 0.5 high, >= 0.2 moderate, else low.\n"
                          "Unsure when the top probability < 0.5 or its margin to the second < 0.15.\n") +
              kExitCodesHelp);
  sub->callback([o] { run(*o); });
}

}  // namespace cli
