// cli/explain.cpp: `skinscan explain IMAGE|DIR...`: saliency overlay, differential, risk level,
// next step and warnings for each image; with --faithfulness, the saliency method's deletion and
// insertion curves against random and centre-prior rankings instead.
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "common.hpp"
#include "skin/core/error.hpp"
#include "skin/core/json_file.hpp"
#include "skin/core/progress.hpp"
#include "skin/evaluation/plots.hpp"
#include "skin/explain/explainer.hpp"
#include "skin/explain/explanation.hpp"
#include "skin/explain/faithfulness.hpp"
#include "skin/input/image_io.hpp"
#include "skin/input/input_source.hpp"
#include "skin/model/prediction.hpp"
#include "skin/serve/responses.hpp"

namespace cli {
namespace {

struct ExplainOptions {
  CommonOptions common;
  ImageOptions image;
  std::vector<std::string> images;
  std::string class_label, method = "auto", out;
  bool json = false, save_map = false, faithfulness = false;
  skin::FaithfulnessOptions measure;
};

// Every image path the inputs name (directories walked); unusable inputs reported and counted.
std::vector<std::string> expand_inputs(const std::vector<std::string>& inputs, nlohmann::json& errors) {
  skin::InputSource source(inputs);
  std::vector<std::string> paths;
  while (auto item = source.next()) {
    if (item->error.empty()) {
      paths.push_back(item->path);
      continue;
    }
    std::fprintf(stderr, "skinscan: error: %s\n", item->error.c_str());
    errors.push_back({{"path", item->path}, {"error", item->error}});
  }
  return paths;
}

std::string plot_path_for(const std::string& report) {
  return std::filesystem::path(report).replace_extension(".png").string();
}

int run_faithfulness(const ExplainOptions& o) {
  skin::Classifier classifier = load_classifier(o.common);
  const skin::SaliencyMethod method = skin::resolve_saliency_method(classifier, skin::parse_saliency_method(o.method));
  nlohmann::json errors = nlohmann::json::array();
  const std::vector<std::string> paths = expand_inputs(o.images, errors);
  std::vector<std::string> measured_paths;
  std::vector<skin::ImageFaithfulness> measured;
  skin::Progress progress(!o.common.quiet, paths.size());
  for (std::size_t i = 0; i < paths.size() && !interrupted(); ++i) {
    try {
      const cv::Mat image = skin::load_image(paths[i], o.image.limits());
      measured.push_back(skin::measure_faithfulness(classifier, image, method, o.measure, i));
      measured_paths.push_back(paths[i]);
    } catch (const skin::Error& error) {
      if (error.kind() != skin::ErrorKind::input) throw;
      std::fprintf(stderr, "skinscan: error: %s\n", error.what());
      errors.push_back({{"path", paths[i]}, {"error", error.what()}});
    }
    progress.update(i + 1, errors.size());
  }
  progress.finish();
  if (measured.empty()) throw skin::Error(skin::ErrorKind::input, "no image could be measured");
  nlohmann::json report = skin::faithfulness_report(skin::saliency_method_name(method), classifier.manifest().labels,
                                                    measured_paths, measured, o.measure);
  report["model"] = {{"name", classifier.manifest().name}, {"version", classifier.manifest().version}};
  report["errors"] = errors;
  if (!o.out.empty()) {
    skin::write_json(o.out, report);
    skin::write_faithfulness_png(plot_path_for(o.out), report);
  }
  if (o.json) {
    skin::write_json("-", report);
  } else {
    const auto& summary = report["summary"];
    std::string text =
        fmt::format("Faithfulness of {} on {} images ({} steps, blur sigma {}, 95% bootstrap CIs)\n",
                    report["method"].get<std::string>(), measured.size(), o.measure.steps, o.measure.blur_sigma);
    text += fmt::format("{:<10} {:>26} {:>26} {:>26}\n", "ranking", "deletion drop at 20%", "deletion AUC (low=good)",
                        "insertion AUC (high=good)");
    auto cell = [](const nlohmann::json& v) {
      return fmt::format("{:.3f} [{:.3f}, {:.3f}]", v["mean"].get<double>(), v["ci95"][0].get<double>(),
                         v["ci95"][1].get<double>());
    };
    for (const char* name : {"method", "random", "centre"}) {
      const auto& r = summary["rankings"][name];
      text += fmt::format("{:<10} {:>26} {:>26} {:>26}\n", name, cell(r["deletion_drop_at_20"]),
                          cell(r["deletion_area"]), cell(r["insertion_area"]));
    }
    for (const char* name : {"method_minus_random", "method_minus_centre"}) {
      const auto& r = summary[name];
      text += fmt::format("{:<10} {:>26} {:>26} {:>26}\n",
                          name == std::string("method_minus_random") ? "- random" : "- centre",
                          cell(r["deletion_drop_at_20"]), cell(r["deletion_area"]), cell(r["insertion_area"]));
    }
    text += fmt::format(
        "saliency time per image: {:.3f} s; heatmap smoothness (99.9th percentile step at 224 px): {:.1f}\n",
        summary["saliency_seconds"]["mean"].get<double>(), summary["heatmap_step_p999"]["mean"].get<double>());
    std::fputs(text.c_str(), stdout);
  }
  if (interrupted()) return kInterrupted;
  return errors.empty() ? kOk : kItemsFailed;
}

int run(const ExplainOptions& o) {
  if (o.faithfulness) return run_faithfulness(o);
  skin::ExplainRequest request;
  request.method = skin::parse_saliency_method(o.method);
  skin::Classifier classifier = load_classifier(o.common);
  const skin::Manifest& m = classifier.manifest();
  if (!o.class_label.empty()) request.class_index = skin::class_index_of(m, o.class_label);
  nlohmann::json results = nlohmann::json::array();
  const std::vector<std::string> paths = expand_inputs(o.images, results);
  std::size_t failed = results.size();
  const std::size_t total = paths.size() + failed;
  for (const auto& path : paths) {
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
    if (!o.out.empty()) skin::write_explanation_images(e, o.out, skin::image_id(path), o.save_map);
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
  } else if (failed < total) {
    std::printf("%s\n", skin::disclaimer().c_str());
  }
  return failed ? kItemsFailed : kOk;
}

}  // namespace

Subcommand setup_explain(CLI::App& app) {
  auto o = std::make_shared<ExplainOptions>();
  auto* sub = app.add_subcommand("explain", "Show where the model looked and what the prediction means");
  sub->add_option("images", o->images, "Image files or directories (walked recursively)")->required()->group("Input");
  add_image_options(*sub, o->image);
  sub->add_option("--class", o->class_label, "Explain this label instead of the top one")->group("Saliency");
  sub->add_option(
         "--method", o->method,
         "auto (occlusion-blur: the only method measured to beat the centre prior on unseen clinics), gradcam, "
         "gradcampp, occlusion, occlusion-blur (patches of the blurred image instead of the mean colour)")
      ->check(CLI::IsMember({"auto", "gradcam", "gradcampp", "occlusion", "occlusion-blur"}))
      ->capture_default_str()
      ->group("Saliency");
  sub->add_option("-o,--out", o->out,
                  "Write <id>_overlay.png and <id>_heatmap.png (original size) into DIR; with --faithfulness, "
                  "the report as this JSON file and its curves beside it (report.json -> report.png)")
      ->group("Output");
  sub->add_flag("--save-map", o->save_map,
                "Also write <id>_saliency.tiff: the map as 32-bit floats at the model input's size")
      ->group("Output");
  sub->add_flag("--faithfulness", o->faithfulness,
                "Measure the method instead: deletion/insertion curves against random and centre-prior rankings")
      ->group("Faithfulness");
  sub->add_option("--steps", o->measure.steps, "Curve points: 0, 1/N, ..., 1 of the pixels")
      ->check(CLI::Range(1, 100))
      ->capture_default_str()
      ->group("Faithfulness");
  sub->add_option("--blur-sigma", o->measure.blur_sigma,
                  "Gaussian blur (pixels of the original image) of replaced pixels")
      ->check(CLI::Range(0.5, 100.0))
      ->capture_default_str()
      ->group("Faithfulness");
  sub->add_option("--seed", o->measure.seed, "Seed of the random ranking, tie-breaking and bootstrap")
      ->capture_default_str()
      ->group("Faithfulness");
  sub->add_flag("--json", o->json, "Print everything as one JSON object")->group("Output");
  add_common_options(*sub, o->common);
  sub->footer(std::string("Examples:\n"
                          "  skinscan explain --out explained/ lesion.jpg\n"
                          "  skinscan explain --class mel --method occlusion --json lesion.jpg\n"
                          "  skinscan explain --faithfulness --method gradcampp --out faith.json val_images/\n"
                          "Risk rule: summed malignant probability >= 0.5 high, >= 0.2 moderate, else low.\n"
                          "Unsure when the top probability < 0.5 or its margin to the second < 0.15.\n") +
              docs_line("explain.md") + kExitCodesHelp);
  return {sub, [o] { return run(*o); }};
}

}  // namespace cli
