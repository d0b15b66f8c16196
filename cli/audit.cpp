// cli/audit.cpp: `skinscan audit`: duplicates, leakage between two sets, and likely label errors
// of a dataset (labelled or not), before any model is scored on it.
#include "skin/evaluation/audit.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <unordered_set>

#include <fmt/format.h>

#include "common.hpp"
#include "skin/core/error.hpp"
#include "skin/core/json_file.hpp"
#include "skin/core/output_file.hpp"
#include "skin/core/progress.hpp"
#include "skin/evaluation/gates.hpp"
#include "skin/evaluation/label_issues.hpp"
#include "skin/input/dataset.hpp"
#include "skin/input/input_source.hpp"

namespace cli {
namespace {

struct AuditCliOptions {
  std::vector<std::string> inputs;  // plain images or folders (no labels)
  skin::DatasetSpec dataset;
  std::string against;    // an id list of the same dataset, or a folder of images
  std::string per_image;  // evaluate --per-image CSV of out-of-sample probabilities
  std::size_t top = 20;
  std::string out;
  std::vector<std::string> fail_over;
  bool json = false;
  ImageOptions image;
  bool features = false;  // pair by the model's pooled features too
  skin::AuditOptions audit;
  skin::PipelineOptions pipeline;
  CommonOptions common;
};

// "METRIC=VALUE" gates, checked before any image is read.
std::vector<std::pair<std::string, double>> parse_gates(const AuditCliOptions& o) {
  std::vector<std::pair<std::string, double>> gates;
  for (const auto& gate : o.fail_over) {
    const auto [name, value] = skin::parse_gate(gate);
    const auto& names = skin::audit_metric_names();
    if (std::find(names.begin(), names.end(), name) == names.end())
      throw skin::Error(skin::ErrorKind::usage, fmt::format("gate '{}': unknown audit metric '{}' (use {})", gate, name,
                                                            fmt::join(names, ", ")));
    if (name == "leaks" && o.against.empty())
      throw skin::Error(skin::ErrorKind::usage, fmt::format("gate '{}': leaks needs --against", gate));
    if (name == "label_issues" && o.per_image.empty())
      throw skin::Error(skin::ErrorKind::usage, fmt::format("gate '{}': label_issues needs --per-image", gate));
    gates.emplace_back(name, value);
  }
  return gates;
}

// The images to audit: a dataset (restricted by --split; --against an id list marks side 1), or
// plain files and folders; --against a folder adds its images as side 1.
std::vector<skin::AuditImage> collect_images(const AuditCliOptions& o, skin::Dataset& dataset) {
  std::vector<skin::AuditImage> images;
  const bool against_list = !o.against.empty() && std::filesystem::is_regular_file(o.against);
  if (!o.dataset.root.empty() || !o.dataset.labels_csv.empty()) {
    skin::DatasetSpec spec = o.dataset;
    spec.split.clear();
    dataset = skin::load_dataset(spec);
    const std::unordered_set<std::string> audited =
        o.dataset.split.empty() ? std::unordered_set<std::string>{} : skin::read_id_list(o.dataset.split);
    const std::unordered_set<std::string> against =
        against_list ? skin::read_id_list(o.against) : std::unordered_set<std::string>{};
    images = skin::dataset_audit_images(dataset, audited, against);
  }
  auto add_files = [&](const std::vector<std::string>& inputs, int side) {
    skin::InputSource source(inputs);
    while (auto item = source.next()) {
      if (!item->error.empty()) throw skin::Error(skin::ErrorKind::usage, item->error);
      images.push_back({skin::image_id(item->path), item->path, side, nullptr, ""});
    }
  };
  if (!o.inputs.empty()) add_files(o.inputs, 0);
  if (!o.against.empty() && !against_list) add_files({o.against}, 1);
  return images;
}

std::string summary_text(const nlohmann::json& r, std::size_t top) {
  const auto& d = r["duplicates"];
  std::string out =
      fmt::format("audited {} images ({} could not be read)\n", r["images"].get<std::size_t>(), r["failed"].size());
  out +=
      fmt::format("duplicates: {} exact pairs, {} near pairs (within {} of 256 dHash bits{}), {} clusters\n",
                  d["exact_pairs"].get<std::size_t>(), d["near_pairs"].get<std::size_t>(), d["max_distance"].get<int>(),
                  d["min_cosine"].is_null()
                      ? std::string()
                      : fmt::format(", or feature cosine >= {}: {} pairs by features alone",
                                    d["min_cosine"].get<double>(), d["feature_only_pairs"].get<std::size_t>()),
                  d["clusters"].size());
  for (std::size_t k = 0; k < d["clusters"].size() && k < top; ++k)
    out += fmt::format("  cluster {}: {}\n", k + 1, fmt::join(d["clusters"][k].get<std::vector<std::string>>(), " "));
  if (r.contains("leaks")) {
    const auto& l = r["leaks"];
    out +=
        fmt::format("leaks across the two sets: {} pairs ({} tied by lesion_id/patient_id, {} under different ids)\n",
                    l["pairs"].get<std::size_t>(), l["same_lesion_or_patient"].get<std::size_t>(),
                    l["unrelated_ids"].get<std::size_t>());
    for (std::size_t k = 0; k < l["list"].size() && k < top; ++k) {
      const auto& p = l["list"][k];
      out += fmt::format("  {} ~ {} ({} bits{}{})\n", p["a"].get<std::string>(), p["b"].get<std::string>(),
                         p["distance"].get<int>(),
                         p.contains("cosine") ? fmt::format(", cosine {:.3f}", p["cosine"].get<double>()) : "",
                         p["shared"].is_null() ? "" : ", " + p["shared"].get<std::string>());
    }
  }
  const auto& q = r["quality"];
  out += fmt::format("quality: {} of {} images fail a check (blur {}, exposure {}, size {})\n",
                     q["flagged"].get<std::size_t>(), q["checked"].get<std::size_t>(),
                     q["per_check"]["blur"].get<std::size_t>(), q["per_check"]["exposure"].get<std::size_t>(),
                     q["per_check"]["size"].get<std::size_t>());
  for (std::size_t k = 0; k < q["images"].size() && k < top; ++k)
    out += fmt::format("  {}: {}\n", q["images"][k]["id"].get<std::string>(),
                       fmt::join(q["images"][k]["flags"].get<std::vector<std::string>>(), ", "));
  if (r.contains("label_issues")) {
    const auto& li = r["label_issues"];
    out += fmt::format("label issues (confident learning on {}): {} of {} images\n", li["source"].get<std::string>(),
                       li["issue_count"].get<std::size_t>(), li["images"].get<std::size_t>());
    for (const auto& i : li["issues"])
      out += fmt::format("  {:<16} labelled {:<6} looks like {:<6} (p {:.3f} vs {:.3f})\n", i["id"].get<std::string>(),
                         i["given"].get<std::string>(), i["suggested"].get<std::string>(),
                         i["self_confidence"].get<double>(), i["suggested_probability"].get<double>());
  }
  return out;
}

int run(const AuditCliOptions& o) {
  const auto gates = parse_gates(o);
  skin::check_writable(o.out);
  if (o.audit.max_distance < 0 || o.audit.max_distance > 256)
    throw skin::Error(skin::ErrorKind::usage, "--max-distance must be between 0 and 256 bits");
  skin::Dataset dataset;
  const std::vector<skin::AuditImage> images = collect_images(o, dataset);
  if (images.empty())
    throw skin::Error(skin::ErrorKind::usage,
                      "nothing to audit: no images found (give folders or files, or --data DIR [--split LIST])");
  if (o.features && !(o.audit.min_cosine > -1 && o.audit.min_cosine <= 1))
    throw skin::Error(skin::ErrorKind::usage, "--min-cosine must be between -1 and 1");
  skin::AuditOptions options = o.audit;
  options.limits = o.image.limits();
  options.threads = o.pipeline.decode_threads;
  if (!o.features) options.min_cosine = skin::kNoFeaturePairs;
  std::optional<skin::Classifier> classifier;
  skin::PipelineOptions pipeline = o.pipeline;
  pipeline.limits = options.limits;
  pipeline.stop = &interrupted();
  if (o.features) {  // loaded first: a wrong model fails before any image is read
    classifier.emplace(load_classifier(o.common, skin::Startup::optimised, &pipeline));
    options.quality_spec = classifier->manifest().input;
  }
  skin::Progress progress(!o.common.quiet, images.size());
  skin::AuditFingerprints prints =
      skin::fingerprint_images(images, options, [&](std::size_t done) { progress.update(done, 0); });
  progress.finish();
  if (classifier) {
    skin::Progress feature_progress(!o.common.quiet, prints.prints.size());
    skin::add_model_features(prints, images, *classifier, pipeline,
                             [&](std::size_t done) { feature_progress.update(done, 0); });
    feature_progress.finish();
  }
  nlohmann::json issues;
  if (!o.per_image.empty()) {
    std::unordered_set<std::string> ids;
    for (const auto& i : images) ids.insert(i.id);
    issues = skin::label_issues_report(o.per_image, ids, o.top);
  }
  nlohmann::json report = skin::audit_report(images, prints, options, issues);
  std::vector<std::string> failures;
  for (const auto& [name, limit] : gates) {
    const auto& v = report["counts"][name];
    if (v.is_number() && v.get<double>() > limit)
      failures.push_back(fmt::format("{} = {} is above {}", name, v.get<double>(), limit));
  }
  report["gates"] = nlohmann::json::array();
  for (const auto& g : o.fail_over) report["gates"].push_back(g);
  if (!o.out.empty()) skin::write_json(o.out, report);
  if (o.json)
    skin::write_json("-", report);
  else
    std::fputs(summary_text(report, o.top).c_str(), stdout);
  if (!o.common.quiet)
    for (const auto& e : prints.errors) std::fprintf(stderr, "skinscan: error: %s\n", e.c_str());
  for (const auto& f : failures) std::fprintf(stderr, "skinscan: gate failed: %s\n", f.c_str());
  return !failures.empty() ? kGateFailed : !prints.errors.empty() ? kItemsFailed : kOk;
}

}  // namespace

Subcommand setup_audit(CLI::App& app) {
  auto o = std::make_shared<AuditCliOptions>();
  auto* sub = app.add_subcommand("audit", "Find duplicates, leakage between sets and likely label errors in a dataset");
  sub->add_option("inputs", o->inputs, "Image files or folders (unlabelled), instead of or besides --data");
  add_dataset_options(*sub, o->dataset);
  sub->add_option("--against", o->against,
                  "The other set: an id list of the same dataset (e.g. the train split when --split is the test "
                  "split) or a folder; duplicates across the two are leaks")
      ->group("Data");
  sub->add_option("--per-image", o->per_image,
                  "An evaluate --per-image CSV of out-of-sample probabilities: confident learning lists likely "
                  "label errors")
      ->group("Label issues");
  sub->add_option("--top", o->top, "How many clusters, leaks and label issues the summary lists")
      ->capture_default_str()
      ->group("Output");
  sub->add_option("--max-distance", o->audit.max_distance,
                  "dHash bits (of 256) within which two images are near-duplicates")
      ->capture_default_str()
      ->group("Duplicates");
  sub->add_option("-o,--out", o->out, "Write the JSON report to FILE (atomically)")->group("Output");
  sub->add_flag("--json", o->json, "Print the JSON report instead of the summary")->group("Output");
  sub->add_option("--fail-over", o->fail_over,
                  "Gate METRIC=VALUE (duplicate_pairs, exact_duplicates, leaks, label_issues, quality_flags): exit 3 "
                  "above it")
      ->group("Gates");
  sub->add_flag("--features", o->features,
                "Also pair images whose pooled features in the model (-m, else the default) have cosine "
                "similarity >= --min-cosine: finds crops the hash misses (not rotations; docs/audit.md)")
      ->group("Duplicates");
  sub->add_option("--min-cosine", o->audit.min_cosine,
                  "With --features: cosine similarity at or above which two images are near-duplicates")
      ->default_val(skin::kDefaultMinCosine)
      ->capture_default_str()
      ->group("Duplicates");
  add_image_options(*sub, o->image);
  add_common_options(*sub, o->common);
  add_pipeline_options(*sub, o->pipeline);
  sub->footer(
      std::string(
          "Examples:\n"
          "  skinscan audit --data ../shared/datasets/ham10000 --split datasets/splits/test.txt \\\n"
          "      --against datasets/splits/train.txt --fail-over leaks=0   # test images copied in train?\n"
          "  skinscan audit --data DIR --split datasets/splits/val.txt --per-image val_per_image.csv\n"
          "  skinscan audit clinic_a/ --against clinic_b/ --out audit.json\n"
          "  skinscan audit --data DIR --split datasets/splits/test.txt --against datasets/splits/train.txt \\\n"
          "      --features   # crops too, by the default model's features\n") +
      docs_line("audit.md") + kExitCodesHelp);
  return {sub, [o] { return run(*o); }};
}

}  // namespace cli
