// cli/explain.cpp: `skinscan explain IMAGE...`: saliency overlay, differential, risk level,
// next step and warnings for each image.
#include <cstdio>

#include <fmt/format.h>

#include "common.hpp"
#include "skin/error.hpp"
#include "skin/explainer.hpp"
#include "skin/explanation.hpp"
#include "skin/json_file.hpp"
#include "skin/prediction.hpp"
#include "skin/responses.hpp"

namespace cli {
namespace {

struct ExplainOptions {
  CommonOptions common;
  ImageOptions image;
  std::vector<std::string> images;
  std::string class_label, method = "auto", out;
  bool json = false;
};

int run(const ExplainOptions& o) {
  skin::ExplainRequest request;
  request.method = skin::parse_saliency_method(o.method);
  skin::Classifier classifier = load_classifier(o.common);
  const skin::Manifest& m = classifier.manifest();
  if (!o.class_label.empty()) request.class_index = skin::class_index_of(m, o.class_label);
  nlohmann::json results = nlohmann::json::array();
  std::size_t failed = 0;
  for (const auto& path : o.images) {
    skin::ImageExplanation e;
    try {
      e = skin::explain_file(classifier, path, o.image.limits(), request);
    } catch (const skin::Error& error) {
      if (error.kind() != skin::ErrorKind::input) throw;  // only a bad image is this item's failure
      std::fprintf(stderr, "skinscan: error: %s\n", error.what());
      results.push_back({{"path", path}, {"error", error.what()}});
      ++failed;
      continue;
    }
    if (!o.out.empty()) skin::write_explanation_images(e, o.out, skin::image_id(path));
    if (o.json) {
      e.json["path"] = path;
      results.push_back(std::move(e.json));
    } else {
      const auto& s = e.json["saliency"];
      std::string text = fmt::format("{}\n{}", path, skin::explanation_text(e.json));
      text +=
          fmt::format("  Saliency ({} for {}): {}\n\n", s["method"].get<std::string>(), s["class"].get<std::string>(),
                      o.out.empty() ? "use --out DIR to write the overlay" : s["overlay"].get<std::string>());
      std::fputs(text.c_str(), stdout);
    }
  }
  if (o.json) {
    skin::write_json("-", skin::explanation_document(m, std::move(results)));
  } else if (failed < o.images.size()) {
    std::printf("%s\n", skin::disclaimer().c_str());
  }
  return failed ? kItemsFailed : kOk;
}

}  // namespace

Subcommand setup_explain(CLI::App& app) {
  auto o = std::make_shared<ExplainOptions>();
  auto* sub = app.add_subcommand("explain", "Show where the model looked and what the prediction means");
  sub->add_option("images", o->images, "Image files")->required()->group("Input");
  add_image_options(*sub, o->image);
  sub->add_option("--class", o->class_label, "Explain this label instead of the top one")->group("Saliency");
  sub->add_option("--method", o->method, "auto (Grad-CAM when the model exports features/head), gradcam, occlusion")
      ->check(CLI::IsMember({"auto", "gradcam", "occlusion"}))
      ->capture_default_str()
      ->group("Saliency");
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
  return {sub, [o] { return run(*o); }};
}

}  // namespace cli
