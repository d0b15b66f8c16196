// report.cpp: assembles the evaluation report from a scoring (metrics, per-class, confusion,
// calibration, binary view, bootstrap intervals) and renders its summary table.
#include "skin/report.hpp"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "skin/error.hpp"
#include "skin/metrics.hpp"
#include "skin/version.hpp"

namespace skin {
namespace {

nlohmann::json optional_number(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

std::string now_iso8601() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace

nlohmann::json make_report(const Dataset& dataset, const Scoring& s, const ReportOptions& options) {
  using nlohmann::json;
  if (s.scored.empty()) throw Error(ErrorKind::input, "no items could be scored: nothing to report");
  const std::size_t c = s.labels.size();
  std::vector<int> truth;
  std::vector<double> probs;
  for (const auto& item : s.scored) {
    truth.push_back(item.truth);
    probs.insert(probs.end(), item.probabilities.begin(), item.probabilities.end());
  }
  Metrics m = compute_metrics(truth, probs, s.labels, options.calibration_bins);

  json counts = json::object();
  for (const auto& l : s.labels) counts[l] = 0;
  for (const auto& item : dataset.items) {
    auto& count = counts[s.labels[std::size_t(truth_index(s, item))]];
    count = count.get<int>() + 1;
  }

  json metrics = {{"accuracy", m.accuracy},
                  {"balanced_accuracy", m.balanced_accuracy},
                  {"macro_precision", m.macro_precision},
                  {"macro_recall", m.macro_recall},
                  {"macro_f1", m.macro_f1},
                  {"weighted_precision", m.weighted_precision},
                  {"weighted_recall", m.weighted_recall},
                  {"weighted_f1", m.weighted_f1},
                  {"cohen_kappa", optional_number(m.kappa)},
                  {"macro_auc", optional_number(m.macro_auc)},
                  {"ece", m.ece},
                  {"mce", m.mce},
                  {"brier", m.brier},
                  {"nll", m.nll}};
  for (const auto& [k, v] : m.top_k_accuracy) metrics[fmt::format("top_{}_accuracy", k)] = v;

  json per_class = json::object();
  for (const auto& pc : m.per_class)
    per_class[pc.label] = {
        {"precision", pc.precision},      {"recall", pc.recall},
        {"specificity", pc.specificity},  {"f1", pc.f1},
        {"support", pc.support},          {"predicted", pc.predicted},
        {"auc", optional_number(pc.auc)}, {"average_precision", optional_number(pc.average_precision)}};

  json normalized = json::array();
  for (const auto& row : m.confusion) {
    double total = 0;
    for (auto v : row) total += double(v);
    json r = json::array();
    for (auto v : row) r.push_back(total > 0 ? double(v) / total : 0.0);
    normalized.push_back(r);
  }
  json bins = json::array();
  for (const auto& b : m.calibration)
    bins.push_back({{"lower", b.lower},
                    {"upper", b.upper},
                    {"count", b.count},
                    {"confidence", b.confidence},
                    {"accuracy", b.accuracy}});

  json failed = json::array();
  for (const auto& f : s.failed) failed.push_back({{"id", f.id}, {"path", f.path}, {"error", f.error}});

  json report = {
      {"schema_version", kReportSchemaVersion},
      {"skinscan", version()},
      {"created", now_iso8601()},
      {"model", s.source},
      {"dataset",
       {{"layout", dataset.layout},
        {"root", dataset.root},
        {"split", options.split.empty() ? json() : json(options.split)},
        {"labelled", dataset.items.size()},
        {"counts_per_class", counts},
        {"scored", s.scored.size()},
        {"missing", s.missing.size()},
        {"failed", s.failed.size()}}},
      {"metrics", metrics},
      {"per_class", per_class},
      {"confusion_matrix", {{"labels", s.labels}, {"counts", m.confusion}, {"row_normalized", normalized}}},
      {"calibration",
       {{"definition",
         "ECE (Guo et al. 2017): top-label confidence, equal-width bins (lower, upper], "
         "sum over bins of |accuracy - confidence| weighted by the bin's share of items; "
         "MCE: largest such gap; Brier: mean over items of the squared distance between "
         "the probability vector and the one-hot truth; NLL: mean -log p(true class)"},
        {"bins_count", options.calibration_bins},
        {"bins", bins}}},
      {"items_missing", s.missing},
      {"items_failed", failed},
      {"definitions",
       {{"balanced_accuracy", "mean recall over the classes present in the truth (ISIC 2018 Task 3 metric)"},
        {"macro", "unweighted mean over classes present in truth or predictions"},
        {"prediction", "argmax of the probabilities (first class on ties)"}}},
  };
  if (!s.malignant.empty()) {
    std::vector<bool> positive;
    std::vector<double> score;
    for (const auto& item : s.scored) {
      positive.push_back(std::find(s.malignant.begin(), s.malignant.end(), s.labels[std::size_t(item.truth)]) !=
                         s.malignant.end());
      double p = 0;
      for (std::size_t k = 0; k < c; ++k)
        if (std::find(s.malignant.begin(), s.malignant.end(), s.labels[k]) != s.malignant.end())
          p += item.probabilities[k];
      score.push_back(p);
    }
    BinaryMetrics b = binary_metrics(positive, score, 0.5);
    report["binary"] = {
        {"malignant", s.malignant},     {"rule", "malignant when the summed malignant probability >= 0.5"},
        {"threshold", b.threshold},     {"positives", b.positives},
        {"negatives", b.negatives},     {"sensitivity", b.sensitivity},
        {"specificity", b.specificity}, {"auc", optional_number(b.auc)}};
  } else {
    report["binary"] = nullptr;
  }
  if (options.bootstrap > 0) {
    json ci = {{"resamples", options.bootstrap}, {"seed", options.seed}, {"level", 0.95}, {"method", "percentile"}};
    for (const auto& [name, iv] :
         bootstrap_intervals(truth, probs, c, options.bootstrap, options.seed, options.calibration_bins))
      ci[name] = {iv.lower, iv.upper};
    report["confidence_intervals"] = ci;
  }
  return report;
}

namespace {

std::string cell(const nlohmann::json& v) { return v.is_null() ? "   -  " : fmt::format("{:6.4f}", v.get<double>()); }

}  // namespace

std::string report_summary_text(const nlohmann::json& r) {
  const auto& d = r["dataset"];
  std::string out = fmt::format(
      "dataset: {} at {}{}\n  {} labelled, {} scored, {} missing, {} failed\n\n", d["layout"].get<std::string>(),
      d["root"].get<std::string>(), d["split"].is_null() ? "" : " (split " + d["split"].get<std::string>() + ")",
      d["labelled"].get<int>(), d["scored"].get<int>(), d["missing"].get<int>(), d["failed"].get<int>());
  out += fmt::format("{:<8} {:>7} {:>9} {:>7} {:>11} {:>6} {:>6} {:>6}\n", "class", "support", "precision", "recall",
                     "specificity", "f1", "auc", "ap");
  for (const auto& [label, c] : r["per_class"].items())
    out += fmt::format("{:<8} {:>7} {:>9} {:>7} {:>11} {:>6} {:>6} {:>6}\n", label, c["support"].get<int>(),
                       cell(c["precision"]), cell(c["recall"]), cell(c["specificity"]), cell(c["f1"]), cell(c["auc"]),
                       cell(c["average_precision"]));
  const auto& m = r["metrics"];
  out += fmt::format("\naccuracy {}  balanced accuracy {}  macro-F1 {}  kappa {}  macro AUC {}\n", cell(m["accuracy"]),
                     cell(m["balanced_accuracy"]), cell(m["macro_f1"]), cell(m["cohen_kappa"]), cell(m["macro_auc"]));
  out += fmt::format("ECE {}  MCE {}  Brier {}  NLL {}  ({} bins, top-label)\n", cell(m["ece"]), cell(m["mce"]),
                     cell(m["brier"]), cell(m["nll"]), r["calibration"]["bins_count"].get<int>());
  if (!r["binary"].is_null()) {
    const auto& b = r["binary"];
    out += fmt::format("malignant ({}) vs benign: sensitivity {}  specificity {}  AUC {}\n",
                       fmt::join(b["malignant"].get<std::vector<std::string>>(), ", "), cell(b["sensitivity"]),
                       cell(b["specificity"]), cell(b["auc"]));
  }
  if (r.contains("confidence_intervals")) {
    const auto& ci = r["confidence_intervals"];
    out += fmt::format("95% bootstrap CI ({} resamples):", ci["resamples"].get<int>());
    for (const char* k : {"accuracy", "balanced_accuracy", "macro_f1", "ece"})
      out += fmt::format(" {} [{:.4f}, {:.4f}]", k, ci[k][0].get<double>(), ci[k][1].get<double>());
    out += "\n";
  }
  return out;
}

}  // namespace skin
