// skin/evaluation.hpp: scores a labelled dataset (by running a model or by reading a
// predictions file), then builds the versioned JSON report and checks CI gates.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "skin/classifier.hpp"
#include "skin/dataset.hpp"
#include "skin/pipeline.hpp"

namespace skin {

inline constexpr int kReportSchemaVersion = 1;

struct ScoredItem {
  std::string id, path;
  int truth = 0;
  std::vector<double> probabilities;
  std::vector<double> scores;  // raw model outputs (empty when scored from a predictions file)
};

struct FailedItem {
  std::string id, path, error;
};

struct Scoring {
  std::vector<std::string> labels;     // class order of the probabilities
  std::vector<std::string> malignant;  // for the binary view
  std::vector<ScoredItem> scored;
  std::vector<std::string> missing;  // ids with no image file (or no prediction row)
  std::vector<FailedItem> failed;    // image or prediction unusable
  nlohmann::json source;             // what produced the probabilities (model or predictions file)
};

// Index of `label` in `labels`, case-insensitively; -1 when absent.
int find_label(const std::vector<std::string>& labels, const std::string& label);

Scoring score_with_model(const Dataset& dataset, Classifier& classifier, const PipelineOptions& options,
                         const std::function<void(const PipelineStats&)>& progress = {});

// Reads an ISIC 2018 submission CSV (image,MEL,NV,...) or skinscan's own batch CSV and matches
// its rows to the dataset by image id. `malignant` (lower-case labels) feeds the binary view.
Scoring score_with_predictions(const Dataset& dataset, const std::string& predictions_csv,
                               const std::vector<std::string>& malignant);

struct ReportOptions {
  int bootstrap = 0;  // resamples; 0 disables confidence intervals
  std::uint64_t seed = 0;
  int calibration_bins = 15;
  std::string split;  // id list the dataset was restricted to, for the record
};

nlohmann::json make_report(const Dataset& dataset, const Scoring& scoring, const ReportOptions& options);

// "METRIC=VALUE" gates against report["metrics"]; returns one line per failed gate.
// Throws Error(usage) for a malformed gate or an unknown metric.
std::vector<std::string> check_gates(const nlohmann::json& report, const std::vector<std::string>& fail_under,
                                     const std::vector<std::string>& fail_over);

// Writes confusion_matrix.png, reliability.png and roc.png into `dir` (created if needed).
void write_plots(const std::string& dir, const Scoring& scoring, const nlohmann::json& report);

// Per-image CSV: id, path, truth, prediction, confidence, correct.
std::string per_image_csv(const Scoring& scoring);

}  // namespace skin
