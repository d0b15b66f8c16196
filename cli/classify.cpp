// cli/classify.cpp: `skinscan classify IMAGE...`: top-k labels per image for a reader, or one
// JSON object with --json.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include "common.hpp"
#include "skin/core/json_file.hpp"
#include "skin/explain/explanation.hpp"
#include "skin/inference/pipeline.hpp"
#include "skin/model/prediction.hpp"
#include "skin/model/quality.hpp"
#include "skin/serve/responses.hpp"

namespace cli {
namespace {

struct ClassifyOptions {
  CommonOptions common;
  ImageOptions image;
  std::vector<std::string> images;
  std::size_t top_k = 3;
  bool json = false;
  bool quality = false;
  bool profile = false;
};

// Quality checks need the decoded image again; classify handles few images, so decoding twice is cheap.
nlohmann::json quality_json(const skin::Prediction& p, const skin::Manifest& m, const ImageOptions& image) {
  return skin::quality_to_json(skin::assess_quality(skin::load_image(p.path, image.limits()), m.input));
}

void print_text(const skin::Prediction& p, const skin::Manifest& m, std::size_t k) {
  const auto top = skin::top_k(p.probabilities, k);
  std::size_t label_width = 0, name_width = 0;
  for (auto i : top) {
    label_width = std::max(label_width, m.labels[i].size());
    name_width = std::max(name_width, m.display_name(m.labels[i]).size());
  }
  std::string out = fmt::format("{}\n", p.path);
  for (std::size_t rank = 0; rank < top.size(); ++rank) {
    const auto i = top[rank];
    out += fmt::format("  {}. {:<{}}  {:<{}}  {:5.1f}%\n", rank + 1, m.labels[i], label_width,
                       m.display_name(m.labels[i]), name_width, 100.0 * p.probabilities[i]);
  }
  if (!m.malignant.empty()) {
    double mal = skin::malignant_probability(p.probabilities, m);
    out += fmt::format("  malignant ({}): {:.1f}%   benign: {:.1f}%\n", fmt::join(m.malignant, ", "), 100 * mal,
                       100 * (1 - mal));
    if (const auto& g = m.malignant_guarantee)
      // How to read it: the guarantee is about malignant lesions in general, not this image.
      out += fmt::format(
          "  malignant call: {} (threshold {:.2f}%, chosen so that at least {:.0f}% of malignant lesions like the "
          "calibration set's are called, with {:.0f}% confidence)\n",
          skin::malignant_call(p.probabilities, m) ? "yes - refer" : "no", 100 * g->threshold, 100 * g->sensitivity,
          100 * (1 - g->delta));
  }
  if (m.conformal) {
    const std::vector<std::string> set = skin::prediction_set_labels(p.probabilities, m);
    // How to read it: a guarantee about many images like the calibration set, not about this one.
    out += fmt::format(
        "  prediction set ({} at {:.0f}%): {{{}}} - over images like its calibration set, such sets hold the "
        "true class at least {:.0f}% of the time{}\n",
        skin::conformal_method_name(m.conformal->method), 100 * (1 - m.conformal->alpha), fmt::join(set, ", "),
        100 * (1 - m.conformal->alpha), set.size() > 1 ? "; more than one class: the model is unsure" : "");
  }
  if (m.ood)
    if (const auto score = skin::prediction_ood_score(p, m))
      out += fmt::format("  out-of-distribution check ({}): score {:.4g}, threshold {:.4g}: {}\n",
                         skin::ood_method_name(m.ood->method), *score, m.ood->threshold,
                         skin::ood_flagged(*score, m)
                             ? "FLAGGED - unlike the images the model was calibrated on; do not trust the output"
                             : "like the calibration images");
  std::fputs(out.c_str(), stdout);
}

// A few named images are done sooner without the forward-pass optimisation, which costs more
// start-up than it saves on them (docs/performance.md); paths from stdin may be many.
constexpr std::size_t kQuickStartImages = skin::kDefaultBatchSize;

skin::Startup startup_for(const std::vector<std::string>& images) {
  const bool few = images.size() <= kQuickStartImages && std::find(images.begin(), images.end(), "-") == images.end();
  return few ? skin::Startup::quick : skin::Startup::optimised;
}

int run(const ClassifyOptions& o) {
  skin::Classifier classifier = load_classifier(o.common, startup_for(o.images));
  const skin::Manifest& m = classifier.manifest();
  skin::InputSource source(o.images, &std::cin);
  skin::PipelineOptions po;
  po.limits = o.image.limits();

  nlohmann::json results = nlohmann::json::array();
  skin::PipelineStats stats = skin::classify_stream(source, classifier, po, [&](skin::Prediction&& p) {
    if (!p.ok()) {
      std::fprintf(stderr, "skinscan: error: %s\n", p.error.c_str());
      if (o.json) results.push_back(skin::classification_record(p, m, o.top_k));
      return;
    }
    nlohmann::json quality = o.quality ? quality_json(p, m, o.image) : nlohmann::json();
    if (o.json) {
      auto j = skin::classification_record(p, m, o.top_k);
      if (o.quality) j["quality"] = quality;
      results.push_back(std::move(j));
    } else {
      print_text(p, m, o.top_k);
      for (const auto& q : quality)
        std::printf("  quality %-8s %s\n", q["check"].get<std::string>().c_str(),
                    q["ok"].get<bool>() ? "ok" : q["message"].get<std::string>().c_str());
    }
  });

  if (o.profile) print_profile(classifier, stats, po.decode_threads);
  if (o.json) {
    const auto doc =
        skin::classification_document(m, classifier.directory(), std::move(results), stats.seconds * 1000.0);
    skin::write_json("-", doc);
  } else if (stats.total > stats.failed) {
    std::printf("%s\n", skin::disclaimer().c_str());
  }
  if (stats.failed && !o.common.quiet)
    std::fprintf(stderr, "skinscan: %zu of %zu images failed\n", stats.failed, stats.total);
  return stats.failed ? kItemsFailed : kOk;
}

}  // namespace

Subcommand setup_classify(CLI::App& app) {
  auto o = std::make_shared<ClassifyOptions>();
  auto* sub = app.add_subcommand("classify", "Classify images and print the top labels with probabilities");
  sub->add_option("images", o->images, "Image files (format judged by content), or - for paths on stdin")
      ->required()
      ->group("Input");
  add_image_options(*sub, o->image);
  sub->add_option("-k,--top-k", o->top_k, "How many labels to show per image")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str()
      ->group("Output");
  add_profile_option(*sub, o->profile);
  sub->add_flag("--quality", o->quality, "Also check blur, exposure and size (see 'skinscan explain --help')")
      ->group("Output");
  sub->add_flag("--json", o->json, "Print one JSON object with all probabilities, top-k, model and timing")
      ->group("Output");
  add_common_options(*sub, o->common);
  sub->footer(std::string("Examples:\n"
                          "  skinscan classify lesion.jpg\n"
                          "  skinscan classify --json --top-k 7 a.jpg b.png | jq '.results[].label'\n"
                          "  skinscan classify --model models/my-binary-model lesion.jpg\n") +
              docs_line("batch.md") + kExitCodesHelp);
  return {sub, [o] { return run(*o); }};
}

}  // namespace cli
