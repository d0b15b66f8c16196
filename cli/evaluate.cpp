// cli/evaluate.cpp: `skinscan evaluate`: metrics of a model (or a predictions file) on a labelled
// dataset, as a readable table or a JSON report, with CI gates.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>

#include <fmt/format.h>

#include "common.hpp"
#include "skin/core/error.hpp"
#include "skin/core/json_file.hpp"
#include "skin/core/output_file.hpp"
#include "skin/core/progress.hpp"
#include "skin/core/strings.hpp"
#include "skin/evaluation/clusters.hpp"
#include "skin/evaluation/compare.hpp"
#include "skin/evaluation/gates.hpp"
#include "skin/evaluation/junit.hpp"
#include "skin/evaluation/leaderboard.hpp"
#include "skin/evaluation/ood_report.hpp"
#include "skin/evaluation/plots.hpp"
#include "skin/evaluation/report.hpp"
#include "skin/evaluation/report_text.hpp"
#include "skin/evaluation/roc.hpp"
#include "skin/evaluation/scoring.hpp"
#include "skin/evaluation/shift.hpp"
#include "skin/evaluation/subgroups.hpp"
#include "skin/evaluation/summary_markdown.hpp"
#include "skin/inference/prediction_files.hpp"
#include "skin/input/input_source.hpp"
#include "skin/input/label_map.hpp"
#include "skin/model/thresholds_file.hpp"
#include "skin/robustness/dataset_shift.hpp"

namespace cli {
namespace {

struct EvaluateOptions {
  CommonOptions common;
  ImageOptions image;
  skin::DatasetSpec dataset;
  std::string predictions;
  std::string ood;  // --ood DIR: out-of-distribution images to separate from the dataset's
  std::vector<std::string> malignant{"mel", "bcc", "akiec"};
  std::string out, per_image, plots, junit, summary_md;
  bool json = false;
  std::vector<std::string> fail_under, fail_over;
  std::string baseline;
  double max_drop = 0.01;
  skin::PipelineOptions pipeline;
  skin::ReportOptions report;  // bound straight from the options below
  std::vector<std::string> fail_under_group, max_gap;
  std::string save_thresholds, thresholds, label_map;
  bool strict = false;
  bool shift = false;  // --shift given
  std::string shift_list;
  std::vector<std::string> models;  // -m, repeatable
  skin::LeaderboardOptions leaderboard;
};

// Everything that can be checked before the first image is read: gates (metric names, values,
// what they need), the baseline report, thresholds, and that every output can be written.
skin::GateSpec check_before_work(const EvaluateOptions& o) {
  skin::GateSpec gates;
  gates.fail_under = o.fail_under;
  gates.fail_over = o.fail_over;
  gates.fail_under_group = o.fail_under_group;
  gates.max_gap = o.max_gap;
  gates.subgroups = !o.report.subgroups.columns.empty();
  gates.shift = o.shift;
  gates.max_drop = o.max_drop;
  if (!o.baseline.empty()) {
    gates.baseline = true;
    gates.baseline_report = skin::load_report(o.baseline);
  }
  skin::validate_gates(gates);
  if (!o.report.pick_threshold.empty()) skin::validate_threshold_rule(o.report.pick_threshold);
  if (!o.save_thresholds.empty() && o.report.pick_threshold.empty())
    throw skin::Error(skin::ErrorKind::usage, "--save-thresholds needs --pick-threshold");
  if (!o.ood.empty()) {
    if (!o.predictions.empty())
      throw skin::Error(skin::ErrorKind::usage,
                        "--ood runs the model on the OOD images: it cannot score --predictions");
    skin::require_images_in(o.ood, "--ood");
  }
  if (o.shift && !o.predictions.empty())
    throw skin::Error(skin::ErrorKind::usage,
                      "--shift runs the model on corrupted images: it cannot score --predictions");
  if (o.models.size() > 1) {
    const char* single_only = o.shift                      ? "--shift"
                              : !o.ood.empty()             ? "--ood"
                              : !o.predictions.empty()     ? "--predictions"
                              : !o.per_image.empty()       ? "--per-image"
                              : !o.plots.empty()           ? "--plots"
                              : !o.save_thresholds.empty() ? "--save-thresholds"
                                                           : nullptr;
    if (single_only)
      throw skin::Error(skin::ErrorKind::usage,
                        fmt::format("{} takes one model; {} were given with -m", single_only, o.models.size()));
    skin::validate_leaderboard_options(o.leaderboard);
  }
  for (const std::string* path : {&o.out, &o.per_image, &o.save_thresholds, &o.junit, &o.summary_md})
    skin::check_writable(*path);
  return gates;
}

bool has_column(const skin::Dataset& dataset, const std::string& column) {
  return std::any_of(dataset.items.begin(), dataset.items.end(),
                     [&](const skin::LabeledItem& item) { return item.attributes.count(column) > 0; });
}

// The metadata columns named by --group-by and --cluster-by exist, before any image is read; a
// lesion or patient column with repeated values and no --cluster-by gets a warning.
void check_columns(EvaluateOptions& o, const skin::Dataset& dataset) {
  for (const auto& column : o.report.subgroups.columns) {
    // ita is measured on the images when the data has no such column (a joined CSV may bring one).
    if (column == "ita" && !has_column(dataset, "ita")) {
      if (!o.predictions.empty())
        throw skin::Error(skin::ErrorKind::usage,
                          "--group-by ita measures skin tone on the images: it cannot be used with --predictions "
                          "(join an ita column with --metadata instead)");
      o.pipeline.skin_tone = true;
      continue;
    }
    skin::require_column(dataset, column, "--group-by");
  }
  if (!o.report.cluster_by.empty()) {
    skin::require_column(dataset, o.report.cluster_by, "--cluster-by");
    if (o.report.bootstrap <= 0 || o.report.auc_ci == "delong")
      throw skin::Error(skin::ErrorKind::usage,
                        fmt::format("--cluster-by {} resamples clusters: it needs --bootstrap N (DeLong's intervals "
                                    "assume independent images, so --auc-ci delong cannot be clustered)",
                                    o.report.cluster_by));
    o.leaderboard.cluster_of = skin::cluster_of_ids(dataset, o.report.cluster_by);
    o.leaderboard.cluster_by = o.report.cluster_by;
    if (!o.common.quiet) {
      const skin::ClusterCount c = skin::count_clusters(dataset, o.report.cluster_by);
      std::fprintf(stderr, "skinscan: intervals resample %zu %s clusters (%zu images with a value, largest %zu)\n",
                   c.clusters, o.report.cluster_by.c_str(), c.items_with_value, c.largest);
    }
  } else if (auto column = skin::repeated_unit_column(dataset); column && !o.common.quiet) {
    const skin::ClusterCount c = skin::count_clusters(dataset, *column);
    std::fprintf(stderr,
                 "skinscan: warning: %zu images come from %zu %s values: their errors are correlated and image-level "
                 "intervals are too narrow; add --cluster-by %s\n",
                 c.items_with_value, c.clusters, column->c_str(), column->c_str());
  }
}

// --summary-md (a file, appended to when it exists, or "-" for stdout), then on stdout the JSON
// document (--json) or the text table, unless the summary took stdout.
void print_outputs(const EvaluateOptions& o, const std::string& markdown, const nlohmann::json& document,
                   const std::string& text) {
  if (o.summary_md == "-")
    std::fputs(markdown.c_str(), stdout);
  else if (!o.summary_md.empty())
    skin::append_or_write(o.summary_md, markdown);
  if (o.json) {
    skin::write_json("-", document);
  } else if (o.summary_md != "-") {
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
  }
}

skin::JunitSuite junit_suite(const nlohmann::json& report, const skin::Scoring& scoring,
                             const std::vector<skin::GateResult>& results, double seconds,
                             const std::string& started_at) {
  skin::JunitSuite suite;
  suite.name = "skinscan evaluate";
  const nlohmann::json& model = report["model"];
  if (model.value("kind", "") == "model")
    suite.name += fmt::format(": {} {}", model.value("name", "?"), model.value("version", "?"));
  suite.properties = skin::report_properties(report);
  suite.gates = results;
  suite.with_items_case = true;
  for (const auto& f : scoring.failed) suite.item_errors.push_back(f.error);
  suite.seconds = seconds;
  suite.timestamp = started_at;
  return suite;
}

// evaluate -m A -m B ...: every model over one read of the images, one report each (with its
// gates), a leaderboard and paired tests against the first model.
int run_many(const EvaluateOptions& o, const skin::GateSpec& gates, skin::Dataset& dataset,
             const skin::ReportOptions& ro, const skin::LabelMap& label_map,
             std::chrono::steady_clock::time_point started, const std::string& started_at) {
  skin::PipelineOptions po = o.pipeline;
  po.limits = o.image.limits();
  std::vector<skin::Classifier> classifiers;
  for (const auto& dir : o.models) {
    CommonOptions one = o.common;
    one.model = dir;
    classifiers.push_back(load_classifier(one, skin::Startup::optimised, &po));
  }
  std::vector<skin::Classifier*> pointers;
  for (auto& c : classifiers) pointers.push_back(&c);
  if (!o.common.quiet)
    for (std::size_t k = 1; k < classifiers.size(); ++k)
      if (!skin::shares_preprocessing(classifiers[0], classifiers[k]))
        std::fprintf(stderr, "skinscan: model %s preprocesses images unlike %s: its inputs are prepared separately\n",
                     classifiers[k].manifest().name.c_str(), classifiers[0].manifest().name.c_str());
  std::size_t present = 0;
  for (const auto& item : dataset.items) present += !item.path.empty();
  skin::Progress progress(!o.common.quiet, present);
  const std::vector<skin::Scoring> scorings = skin::score_with_models(
      dataset, pointers, po, [&](const skin::PipelineStats& s) { progress.update(s.total, s.failed); }, label_map);
  if (!o.common.quiet)
    for (const auto& f : scorings[0].failed) std::fprintf(stderr, "skinscan: error: %s\n", f.error.c_str());
  if (scorings[0].skin_tone_measured) skin::add_skin_tone_attributes(dataset, scorings[0]);

  std::vector<nlohmann::json> reports;
  std::vector<std::vector<skin::GateResult>> results;
  std::vector<std::string> failures;
  bool items_failed = false;
  for (const auto& scoring : scorings) {
    nlohmann::json report = skin::make_report(dataset, scoring, ro);
    results.push_back(skin::evaluate_gates(report, gates));
    report["gates"] = skin::gates_json(gates, results.back());
    for (const auto& f : skin::gate_failures(results.back()))
      failures.push_back(fmt::format("{} {}: {}", classifiers[reports.size()].manifest().name,
                                     classifiers[reports.size()].manifest().version, f));
    items_failed = items_failed || !scoring.failed.empty();
    reports.push_back(std::move(report));
  }
  nlohmann::json board = skin::leaderboard(reports, scorings, o.leaderboard);
  board["reports"] = reports;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!o.out.empty()) skin::write_json(o.out, board);
  if (!o.junit.empty()) {
    std::vector<skin::JunitSuite> suites;
    for (std::size_t k = 0; k < reports.size(); ++k)
      suites.push_back(junit_suite(reports[k], scorings[k], results[k], seconds, started_at));
    skin::write_file_atomically(o.junit, skin::junit_xml(suites, "skinscan evaluate"));
  }
  std::string md = skin::leaderboard_markdown(board);
  for (std::size_t k = 0; k < reports.size(); ++k)
    md += "\n" + skin::summary_markdown(reports[k], results[k], gates.baseline_report);
  print_outputs(o, md, board, skin::leaderboard_text(board));
  if (o.strict)
    for (const auto& scoring : scorings) skin::require_complete(scoring);
  for (const auto& f : failures) std::fprintf(stderr, "skinscan: gate failed: %s\n", f.c_str());
  return !failures.empty() ? kGateFailed : items_failed ? kItemsFailed : kOk;
}

int run(EvaluateOptions o) {
  const auto started = std::chrono::steady_clock::now();
  const std::string started_at = skin::now_iso8601();
  const skin::GateSpec gates = check_before_work(o);
  if (o.models.size() == 1) o.common.model = o.models[0];
  skin::Dataset dataset = skin::load_dataset(o.dataset);
  check_columns(o, dataset);

  const skin::LabelMap label_map = o.label_map.empty() ? skin::LabelMap{} : skin::parse_label_map(o.label_map);
  skin::ReportOptions ro = o.report;
  ro.split = o.dataset.split;
  if (!o.thresholds.empty()) {
    ro.thresholds = skin::load_thresholds(o.thresholds)["thresholds"];
    ro.thresholds_source = o.thresholds;
  }
  if (o.models.size() > 1) return run_many(o, gates, dataset, ro, label_map, started, started_at);
  std::vector<skin::Corruption> corruptions;
  if (o.shift) corruptions = skin::parse_corruptions(o.shift_list.empty() ? "acquisition" : o.shift_list);
  skin::Scoring scoring;
  std::optional<skin::ShiftScorings> shifted;
  nlohmann::json ood_section;
  if (!o.predictions.empty()) {
    scoring = skin::score_with_predictions(dataset, o.predictions, o.malignant, label_map);
  } else {
    skin::PipelineOptions po = o.pipeline;
    po.limits = o.image.limits();
    skin::Classifier classifier = load_classifier(o.common, skin::Startup::optimised, &po);
    std::size_t present = 0;
    for (const auto& item : dataset.items) present += !item.path.empty();
    skin::Progress progress(!o.common.quiet, present);
    auto on_progress = [&](const skin::PipelineStats& s) { progress.update(s.total, s.failed); };
    if (o.shift) {
      shifted = skin::score_under_shift(dataset, classifier, po, {corruptions, o.report.seed}, on_progress, label_map);
      scoring = shifted->clean;
    } else {
      scoring = skin::score_with_model(dataset, classifier, po, on_progress, label_map);
    }
    if (!o.ood.empty()) {
      skin::Progress ood_progress(!o.common.quiet, 0);
      ood_section = skin::ood_report(
          skin::ood_scores_of(scoring, classifier),
          skin::ood_scores_of_folder(o.ood, classifier, po,
                                     [&](const skin::PipelineStats& s) { ood_progress.update(s.total, s.failed); }),
          o.ood, classifier);
    }
  }
  if (scoring.skin_tone_measured) skin::add_skin_tone_attributes(dataset, scoring);
  if (!scoring.label_map.is_null() && !o.common.quiet)
    for (const auto& [column, target] : scoring.label_map["columns"].items())
      std::fprintf(stderr, "skinscan: label map: %s -> %s\n", column.c_str(),
                   target.is_null() ? "(dropped)" : target.get<std::string>().c_str());
  if (!o.common.quiet)
    for (const auto& f : scoring.failed) std::fprintf(stderr, "skinscan: error: %s\n", f.error.c_str());

  nlohmann::json report = skin::make_report(dataset, scoring, ro);
  if (shifted)
    skin::add_shift_section(report, *shifted, ro,
                            ro.cluster_by.empty() ? std::unordered_map<std::string, std::size_t>{}
                                                  : skin::cluster_of_ids(dataset, ro.cluster_by));
  if (!ood_section.is_null()) report["ood"] = ood_section;
  const std::vector<skin::GateResult> results = skin::evaluate_gates(report, gates);
  const std::vector<std::string> failures = skin::gate_failures(results);
  report["gates"] = skin::gates_json(gates, results);
  // Every output is written before anything decides the exit code (a failed gate, --strict).
  if (!o.save_thresholds.empty()) skin::write_json(o.save_thresholds, skin::thresholds_file(report));
  if (!o.out.empty()) skin::write_json(o.out, report);
  if (!o.per_image.empty()) skin::write_file_atomically(o.per_image, skin::per_image_csv(scoring));
  if (!o.plots.empty()) skin::write_evaluation_plots(o.plots, scoring, report);
  if (!o.junit.empty()) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    skin::write_file_atomically(o.junit, skin::junit_xml(junit_suite(report, scoring, results, seconds, started_at)));
  }
  print_outputs(o, skin::summary_markdown(report, results, gates.baseline_report), report,
                skin::report_summary_text(report));
  if (report.contains("dataset_shift") && !o.common.quiet) {
    const std::string warning = skin::dataset_shift_warning(report["dataset_shift"]);
    if (!warning.empty()) std::fprintf(stderr, "%s\n", warning.c_str());
  }
  if (o.strict) skin::require_complete(scoring);
  for (const auto& f : failures) std::fprintf(stderr, "skinscan: gate failed: %s\n", f.c_str());
  const bool ood_failed = ood_section.contains("error");
  if (ood_failed) std::fprintf(stderr, "skinscan: error: %s\n", ood_section["error"].get<std::string>().c_str());
  return !failures.empty() ? kGateFailed : (!scoring.failed.empty() || ood_failed) ? kItemsFailed : kOk;
}

}  // namespace

Subcommand setup_evaluate(CLI::App& app) {
  auto o = std::make_shared<EvaluateOptions>();
  auto* sub = app.add_subcommand("evaluate", "Score a model (or a predictions file) on a labelled dataset");
  add_dataset_options(*sub, o->dataset);
  add_image_options(*sub, o->image);
  sub->add_option("--predictions", o->predictions,
                  "Score this predictions CSV (ISIC submission or skinscan batch csv) instead of running a model")
      ->group("Model");
  sub->add_option("--malignant", o->malignant, "Malignant labels for the binary view with --predictions")
      ->delimiter(',')
      ->capture_default_str()
      ->group("Model");
  sub->add_option("--bootstrap", o->report.bootstrap, "Bootstrap resamples for 95% confidence intervals (0: none)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str()
      ->group("Metrics");
  sub->add_option("--ood", o->ood,
                  "Also score a folder of images unlike the dataset's (other modalities, non-lesion photos): how well "
                  "MSP, energy and Mahalanobis separate them (AUROC, FPR at 95% TPR; report key ood)")
      ->group("Robustness");
  sub->add_option("--cluster-by", o->report.cluster_by,
                  "Resample whole clusters of this metadata column (lesion_id, patient_id) in every bootstrap: "
                  "images of one lesion are not independent (needs --bootstrap)")
      ->group("Metrics");
  sub->add_option("--seed", o->report.seed, "Bootstrap seed, and --shift's noise seed")
      ->capture_default_str()
      ->group("Metrics");
  std::string corruption_help;
  for (skin::Corruption c : skin::all_corruptions()) corruption_help += "\n  " + skin::corruption_description(c);
  CLI::Option* shift_option =
      sub->add_option("--shift", o->shift_list,
                      "Also evaluate under synthetic acquisition changes and artefacts at severities 1-5, each "
                      "paired image by image with the unchanged image (top-1 flips, malignant-probability change "
                      "with CI and Wilcoxon p, malignant-call flips). Names or presets, comma-separated: "
                      "acquisition (the default: the first 11 below), artefacts (ink, hair, ruler, bubbles, patch), "
                      "all. The image is decoded once. Report key shift, summary shift_summary, gate metrics "
                      "shift_mean_balanced_accuracy, shift_max_malignant_change, plot shift.png. Corruptions:" +
                          corruption_help)
          ->expected(0, 1)
          ->group("Robustness");
  sub->add_option("--bins", o->report.calibration_bins, "Calibration bins (equal width)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str()
      ->group("Metrics");
  sub->add_option("-o,--out", o->out, "Write the JSON report to FILE (atomically)")->group("Output");
  sub->add_flag("--json", o->json, "Print the JSON report instead of the summary table")->group("Output");
  sub->add_option("--per-image", o->per_image, "Write per-image truth, prediction, confidence, correct as CSV")
      ->group("Output");
  sub->add_option("--plots", o->plots, "Write confusion_matrix.png, reliability.png and roc.png into DIR")
      ->group("Output");
  sub->add_option("--junit", o->junit, "Write the gates as JUnit XML to FILE (one test case per gate; CI test reports)")
      ->group("Output");
  sub->add_option("--summary-md", o->summary_md,
                  "Write a Markdown summary to FILE (appended when FILE exists, e.g. $GITHUB_STEP_SUMMARY; "
                  "- prints it instead of the table)")
      ->group("Output");
  sub->add_option("--fail-under", o->fail_under, "CI gate METRIC=VALUE: fail when the metric is lower (repeatable)")
      ->group("Gates");
  sub->add_option("--fail-over", o->fail_over, "CI gate METRIC=VALUE for lower-is-better metrics such as ece")
      ->group("Gates");
  sub->add_option("--baseline", o->baseline, "Fail when a headline metric is worse than in this earlier report")
      ->group("Gates");
  sub->add_option("--max-drop", o->max_drop, "Largest tolerated worsening for --baseline")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group("Gates");
  sub->add_option("--metadata", o->dataset.metadata,
                  "CSV joined by image id into the items' attributes (e.g. skin tone)")
      ->group("Subgroups");
  sub->add_option("--group-by", o->report.subgroups.columns,
                  "Metrics per group of these metadata columns (sex, age, localization, "
                  "dx_type, dataset, --metadata columns, or ita: skin tone measured on the images)")
      ->delimiter(',')
      ->group("Subgroups");
  sub->add_option("--age-bins", o->report.subgroups.bins,
                  "Bin edges for numeric --group-by columns, e.g. 0,30,50,70,120")
      ->delimiter(',')
      ->group("Subgroups");
  sub->add_option("--min-group-n", o->report.subgroups.min_group_n,
                  "Groups smaller than this are flagged and left out of disparity")
      ->capture_default_str()
      ->group("Subgroups");
  sub->add_option("--fail-under-group", o->fail_under_group,
                  "Gate METRIC=VALUE that every large-enough group must pass")
      ->group("Gates");
  sub->add_option("--max-gap", o->max_gap, "Gate METRIC=VALUE on the largest gap between groups")->group("Gates");
  sub->add_option("--sens-at-spec", o->report.sens_at_spec, "Report sensitivity at these specificities")
      ->delimiter(',')
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str()
      ->group("Operating points");
  sub->add_option("--spec-at-sens", o->report.spec_at_sens, "Report specificity at these sensitivities")
      ->delimiter(',')
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str()
      ->group("Operating points");
  sub->add_option("--max-fpr", o->report.max_fpr, "FPR limit of the standardised partial AUC (sklearn max_fpr)")
      ->check(CLI::Range(0.01, 1.0))
      ->capture_default_str()
      ->group("Operating points");
  sub->add_option("--pick-threshold", o->report.pick_threshold,
                  "Choose a threshold per class: youden, sens=X or spec=X")
      ->group("Operating points");
  sub->add_option("--save-thresholds", o->save_thresholds, "Write the picked thresholds to FILE (JSON)")
      ->group("Operating points");
  sub->add_option("--thresholds", o->thresholds, "Apply thresholds from FILE: sensitivity, specificity, PPV, NPV")
      ->group("Operating points");
  sub->add_option("--auc-ci", o->report.auc_ci, "AUC intervals: delong (default without --bootstrap) or bootstrap")
      ->check(CLI::IsMember({"delong", "bootstrap"}))
      ->group("Metrics");
  sub->add_option("--label-map", o->label_map, "Map class columns to classes: AK=akiec,SCC=akiec,UNK=- (or a file)")
      ->group("Model");
  sub->add_flag("--strict", o->strict, "Missing predictions or predictions without a label are an error (exit 1)")
      ->group("Gates");
  add_pipeline_options(*sub, o->pipeline);
  add_common_options(*sub, o->common, &o->models);
  sub->add_option("--sort-by", o->leaderboard.sort_by, "With several -m: the leaderboard's metric")
      ->capture_default_str()
      ->group("Model");
  sub->footer(
      std::string(
          "Examples:\n"
          "  skinscan evaluate --data ../shared/datasets/ham10000 --split datasets/splits/test.txt\n"
          "  skinscan evaluate --labels ISIC2018_Task3_Test_GroundTruth.csv --images ISIC2018_Task3_Test_Input\n"
          "  skinscan evaluate --data DIR --predictions submission.csv --json\n"
          "  skinscan evaluate --data DIR --fail-under balanced_accuracy=0.6 --fail-over ece=0.05\n"
          "  skinscan evaluate --data DIR --split LIST --shift blur,jpeg,noise --out report.json --plots plots/\n"
          "  skinscan evaluate --data DIR --shift --fail-under shift_mean_balanced_accuracy=0.5\n"
          "  skinscan evaluate --data DIR --split LIST --shift artefacts --fail-over shift_max_malignant_change=0.05\n"
          "      # does ink, hair, a ruler, bubbles or a colour patch move the malignant probability?\n"
          "  skinscan evaluate --data DIR --split LIST --fail-under balanced_accuracy=0.6 --junit junit.xml \\\n"
          "      --summary-md \"$GITHUB_STEP_SUMMARY\"\n"
          "  skinscan evaluate -m models/a -m models/b -m models/c --data DIR --split LIST --bootstrap 1000 \\\n"
          "      --out leaderboard.json   # one read of the images, a sorted table, paired tests against a\n"
          "  skinscan evaluate --labels full_metadata.csv --predictions p.csv --bootstrap 1000 --cluster-by lesion_id\n"
          "      # intervals that resample lesions, not images\n"
          "Metrics: accuracy balanced_accuracy macro_f1 macro_precision macro_recall weighted_f1\n"
          "cohen_kappa macro_auc top_2_accuracy top_3_accuracy ece mce brier nll aurc; with --shift also\n"
          "shift_mean_balanced_accuracy shift_mean_corruption_error shift_worst_balanced_accuracy\n"
          "shift_max_top1_flip_rate shift_max_malignant_change.\n") +
      docs_line("evaluate.md and docs/ci.md") + kExitCodesHelp);
  return {sub, [o, shift_option] {
            o->shift = shift_option->count() > 0;
            return run(*o);
          }};
}

}  // namespace cli
