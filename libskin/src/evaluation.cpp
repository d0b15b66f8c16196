// evaluation.cpp: dataset scoring, report assembly and gates.
#include "skin/strings.hpp"
#include "skin/evaluation.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "skin/csv.hpp"
#include "skin/error.hpp"
#include "skin/metrics.hpp"
#include "skin/plots.hpp"
#include "skin/sha256.hpp"
#include "skin/version.hpp"
#include "skin/writers.hpp"

namespace skin {
namespace {

int truth_index(const Scoring& s, const LabeledItem& item) {
  int t = find_label(s.labels, item.label);
  if (t < 0)
    throw Error(ErrorKind::input, fmt::format("image '{}' is labelled '{}', which is not one of the classes ({})", item.id,
                                              item.label, fmt::join(s.labels, ", ")));
  return t;
}

nlohmann::json optional_number(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

std::string now_iso8601() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace

int find_label(const std::vector<std::string>& labels, const std::string& label) {
  const std::string want = to_lower(label);
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (to_lower(labels[i]) == want) return int(i);
  return -1;
}

Scoring score_with_model(const Dataset& dataset, Classifier& classifier, const PipelineOptions& options,
                         const std::function<void(const PipelineStats&)>& progress) {
  const Manifest& m = classifier.manifest();
  Scoring s;
  s.labels = m.labels;
  s.malignant = m.malignant;
  s.source = {{"kind", "model"}, {"name", m.name}, {"version", m.version}, {"directory", classifier.directory()},
              {"manifest_sha256", sha256_file(classifier.directory() + "/manifest.json")}, {"temperature", m.temperature}};
  std::vector<std::string> paths;
  std::vector<const LabeledItem*> present;
  for (const auto& item : dataset.items) {
    truth_index(s, item);  // unknown labels fail before any image is decoded
    if (item.path.empty()) {
      s.missing.push_back(item.id);
    } else {
      paths.push_back(item.path);
      present.push_back(&item);
    }
  }
  InputSource source(paths);
  std::size_t k = 0;
  classify_stream(
      source, classifier, options,
      [&](Prediction&& p) {
        const LabeledItem& item = *present[k++];
        if (!p.ok()) {
          s.failed.push_back({item.id, item.path, p.error});
          return;
        }
        s.scored.push_back({item.id, item.path, truth_index(s, item),
                            std::vector<double>(p.probabilities.begin(), p.probabilities.end()),
                            std::vector<double>(p.scores.begin(), p.scores.end())});
      },
      progress);
  return s;
}

Scoring score_with_predictions(const Dataset& dataset, const std::string& path, const std::vector<std::string>& malignant) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::io, fmt::format("{}: cannot open predictions", path));
  CsvReader csv(in, path);
  Scoring s;
  std::vector<std::size_t> columns;
  std::size_t id_col = 0;
  std::optional<std::size_t> error_col;
  if (csv.column("image")) {  // ISIC submission
    id_col = *csv.column("image");
    for (const char* c : kIsicColumns) {
      columns.push_back(csv.require_column(c));
      s.labels.push_back(to_lower(c));
    }
  } else if (csv.column("id") && csv.column("probability") && csv.column("malignant_probability")) {  // skinscan csv
    id_col = *csv.column("id");
    error_col = csv.column("error");
    for (std::size_t c = *csv.column("probability") + 1; c < *csv.column("malignant_probability"); ++c) {
      columns.push_back(c);
      s.labels.push_back(csv.header()[c]);
    }
  } else {
    throw Error(ErrorKind::input, fmt::format("{}: not a predictions file (expected an ISIC submission header "
                                              "'image,MEL,NV,...' or skinscan batch --format csv)", path));
  }
  if (s.labels.size() < 2) throw Error(ErrorKind::input, fmt::format("{}: fewer than 2 class columns", path));
  for (const auto& label : malignant)
    if (find_label(s.labels, label) >= 0) s.malignant.push_back(s.labels[std::size_t(find_label(s.labels, label))]);

  struct Row {
    std::vector<double> p;
    std::string error;
  };
  std::unordered_map<std::string, Row> rows;
  std::unordered_map<std::string, std::size_t> row_of;
  while (auto row = csv.next()) {
    std::string id = (*row)[id_col];
    if (id.empty()) csv.fail("empty image id");
    if (auto [it, fresh] = row_of.emplace(id, csv.row()); !fresh)
      csv.fail(fmt::format("duplicate image id '{}' (first at row {})", id, it->second));
    Row r;
    if (error_col && !(*row)[*error_col].empty()) {
      r.error = (*row)[*error_col];
    } else {
      double sum = 0;
      for (std::size_t i = 0; i < columns.size(); ++i) {
        r.p.push_back(parse_probability(csv, (*row)[columns[i]], csv.header()[columns[i]]));
        sum += r.p.back();
      }
      if (std::abs(sum - 1.0) > 1e-3) csv.fail(fmt::format("probabilities sum to {:.6g}, not 1", sum));
    }
    rows.emplace(std::move(id), std::move(r));
  }
  s.source = {{"kind", "predictions"}, {"path", path}, {"sha256", sha256_file(path)}};
  for (const auto& item : dataset.items) {
    int t = truth_index(s, item);
    auto it = rows.find(item.id);
    if (it == rows.end()) {
      s.missing.push_back(item.id);
    } else if (!it->second.error.empty()) {
      s.failed.push_back({item.id, item.path, it->second.error});
    } else {
      s.scored.push_back({item.id, item.path, t, it->second.p, {}});
    }
  }
  return s;
}

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

  json metrics = {{"accuracy", m.accuracy}, {"balanced_accuracy", m.balanced_accuracy},
                  {"macro_precision", m.macro_precision}, {"macro_recall", m.macro_recall}, {"macro_f1", m.macro_f1},
                  {"weighted_precision", m.weighted_precision}, {"weighted_recall", m.weighted_recall},
                  {"weighted_f1", m.weighted_f1}, {"cohen_kappa", optional_number(m.kappa)},
                  {"macro_auc", optional_number(m.macro_auc)}, {"ece", m.ece}, {"mce", m.mce}, {"brier", m.brier},
                  {"nll", m.nll}};
  for (const auto& [k, v] : m.top_k_accuracy) metrics[fmt::format("top_{}_accuracy", k)] = v;

  json per_class = json::object();
  for (const auto& pc : m.per_class)
    per_class[pc.label] = {{"precision", pc.precision}, {"recall", pc.recall}, {"specificity", pc.specificity},
                           {"f1", pc.f1}, {"support", pc.support}, {"predicted", pc.predicted},
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
    bins.push_back({{"lower", b.lower}, {"upper", b.upper}, {"count", b.count}, {"confidence", b.confidence},
                    {"accuracy", b.accuracy}});

  json failed = json::array();
  for (const auto& f : s.failed) failed.push_back({{"id", f.id}, {"path", f.path}, {"error", f.error}});

  json report = {
      {"schema_version", kReportSchemaVersion},
      {"skinscan", version()},
      {"created", now_iso8601()},
      {"model", s.source},
      {"dataset", {{"layout", dataset.layout}, {"root", dataset.root},
                   {"split", options.split.empty() ? json() : json(options.split)},
                   {"labelled", dataset.items.size()}, {"counts_per_class", counts}, {"scored", s.scored.size()},
                   {"missing", s.missing.size()}, {"failed", s.failed.size()}}},
      {"metrics", metrics},
      {"per_class", per_class},
      {"confusion_matrix", {{"labels", s.labels}, {"counts", m.confusion}, {"row_normalized", normalized}}},
      {"calibration", {{"definition", "ECE (Guo et al. 2017): top-label confidence, equal-width bins (lower, upper], "
                                      "sum over bins of |accuracy - confidence| weighted by the bin's share of items; "
                                      "MCE: largest such gap; Brier: mean over items of the squared distance between "
                                      "the probability vector and the one-hot truth; NLL: mean -log p(true class)"},
                       {"bins_count", options.calibration_bins}, {"bins", bins}}},
      {"items_missing", s.missing},
      {"items_failed", failed},
      {"definitions", {{"balanced_accuracy", "mean recall over the classes present in the truth (ISIC 2018 Task 3 metric)"},
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
        if (std::find(s.malignant.begin(), s.malignant.end(), s.labels[k]) != s.malignant.end()) p += item.probabilities[k];
      score.push_back(p);
    }
    BinaryMetrics b = binary_metrics(positive, score, 0.5);
    report["binary"] = {{"malignant", s.malignant}, {"rule", "malignant when the summed malignant probability >= 0.5"},
                        {"threshold", b.threshold}, {"positives", b.positives}, {"negatives", b.negatives},
                        {"sensitivity", b.sensitivity}, {"specificity", b.specificity}, {"auc", optional_number(b.auc)}};
  } else {
    report["binary"] = nullptr;
  }
  if (options.bootstrap > 0) {
    json ci = {{"resamples", options.bootstrap}, {"seed", options.seed}, {"level", 0.95}, {"method", "percentile"}};
    for (const auto& [name, iv] : bootstrap_intervals(truth, probs, c, options.bootstrap, options.seed,
                                                      options.calibration_bins))
      ci[name] = {iv.lower, iv.upper};
    report["confidence_intervals"] = ci;
  }
  return report;
}

std::vector<std::string> check_gates(const nlohmann::json& report, const std::vector<std::string>& fail_under,
                                     const std::vector<std::string>& fail_over) {
  std::vector<std::string> failures;
  auto check = [&](const std::string& gate, bool under) {
    auto eq = gate.find('=');
    double limit = 0;
    std::size_t used = 0;
    if (eq != std::string::npos) {
      try {
        limit = std::stod(gate.substr(eq + 1), &used);
      } catch (const std::exception&) {
        used = 0;
      }
    }
    if (eq == std::string::npos || used == 0 || used != gate.size() - eq - 1)
      throw Error(ErrorKind::usage, fmt::format("gate '{}' must look like METRIC=VALUE", gate));
    std::string name = gate.substr(0, eq);
    const auto& metrics = report.at("metrics");
    if (!metrics.contains(name)) throw Error(ErrorKind::usage, fmt::format("gate '{}': unknown metric '{}'", gate, name));
    if (metrics[name].is_null()) {
      failures.push_back(fmt::format("{} is undefined for this data (gate {} {})", name, under ? ">=" : "<=", limit));
      return;
    }
    double value = metrics[name].get<double>();
    if (under && value < limit) failures.push_back(fmt::format("{} = {:.4f} is below {}", name, value, limit));
    if (!under && value > limit) failures.push_back(fmt::format("{} = {:.4f} is above {}", name, value, limit));
  };
  for (const auto& g : fail_under) check(g, true);
  for (const auto& g : fail_over) check(g, false);
  return failures;
}

void write_plots(const std::string& dir, const Scoring& s, const nlohmann::json& report) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(ErrorKind::io, fmt::format("{}: cannot create plot directory ({})", dir, ec.message()));
  write_confusion_matrix_png(dir + "/confusion_matrix.png", s.labels,
                             report.at("confusion_matrix").at("counts").get<std::vector<std::vector<std::size_t>>>());
  std::vector<CalibrationBin> bins;
  for (const auto& b : report.at("calibration").at("bins"))
    bins.push_back({b["lower"], b["upper"], b["count"], b["confidence"], b["accuracy"]});
  write_reliability_png(dir + "/reliability.png", bins, report.at("metrics").at("ece").get<double>());
  std::vector<int> truth;
  std::vector<double> probs;
  for (const auto& item : s.scored) {
    truth.push_back(item.truth);
    probs.insert(probs.end(), item.probabilities.begin(), item.probabilities.end());
  }
  write_roc_png(dir + "/roc.png", s.labels, truth, probs);
}

std::string per_image_csv(const Scoring& s) {
  std::string out = "id,path,truth,prediction,confidence,correct\n";
  for (const auto& item : s.scored) {
    auto best = std::size_t(std::max_element(item.probabilities.begin(), item.probabilities.end()) - item.probabilities.begin());
    out += fmt::format("{},{},{},{},{:.9g},{}\n", csv_escape(item.id), csv_escape(item.path), s.labels[std::size_t(item.truth)],
                       s.labels[best], item.probabilities[best], int(best) == item.truth ? 1 : 0);
  }
  return out;
}

}  // namespace skin
