// skin/evaluation/scoring.hpp: the scored items of a labelled dataset, produced by running a model over
// it or by reading a predictions file; what the report, gates and plots are computed from.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "skin/inference/pipeline.hpp"
#include "skin/input/dataset.hpp"
#include "skin/input/label_map.hpp"
#include "skin/model/classifier.hpp"
#include "skin/robustness/dataset_shift.hpp"

namespace skin {
struct ScoredItem {
  std::string id, path;
  int truth = 0;
  std::vector<double> probabilities;
  std::vector<double> scores;           // raw model outputs (empty when scored from a predictions file)
  std::vector<float> pooled{};          // pooled features (models with feature statistics; for OOD scores)
  std::optional<SkinTone> skin_tone{};  // ITA, when PipelineOptions::skin_tone was set
};

struct FailedItem {
  std::string id, path, error;
};

struct Scoring {
  std::vector<std::string> labels;     // class order of the probabilities
  std::vector<std::string> malignant;  // for the binary view
  std::vector<ScoredItem> scored;
  std::vector<std::string> missing;     // ids with no image file (or no prediction row)
  std::vector<FailedItem> failed;       // image or prediction unusable
  std::vector<std::string> unlabelled;  // predictions for ids the dataset (split aside) does not label
  nlohmann::json source;                // what produced the probabilities (model or predictions file)
  nlohmann::json label_map;             // how source columns were mapped to classes (null: as they were)
  std::optional<FeatureStatistics> feature_statistics;  // the model's reference for the dataset-shift score
  FeatureMoments feature_moments;                       // of the scored images' pooled features
  std::optional<ConformalSpec> conformal;               // the model's prediction sets, if calibrated
  // The model's guaranteed-sensitivity malignant threshold (not with a non-identity label map,
  // whose malignant view is not the one the threshold was fitted on).
  std::optional<SensitivityGuarantee> malignant_guarantee;
  bool skin_tone_measured = false;  // the images' ITA was measured (evaluate --group-by ita)
};

// Adds each scored item's skin tone to its dataset item's attributes: "ita" (the Chardon
// category, "(no skin visible)" without a measurement) and "ita_degrees", so that --group-by ita
// and group gates work on it as on any metadata column.
void add_skin_tone_attributes(Dataset& dataset, const Scoring& scoring);

// Index of `label` in `labels`, case-insensitively; -1 when absent.
int find_label(const std::vector<std::string>& labels, const std::string& label);

// Both refuse (Error(usage), listing both class sets) a source whose classes, after `label_map`,
// do not cover every class in the dataset: nothing is scored silently near zero.
Scoring score_with_model(const Dataset& dataset, Classifier& classifier, const PipelineOptions& options,
                         const std::function<void(const PipelineStats&)>& progress = {},
                         const LabelMap& label_map = {});

// score_with_model with options.variants set (evaluate --shift): the scoring of the decoded images,
// then one per variant, each over the same items (an item that fails, fails in every one).
// `variant_count` is the number of images options.variants returns for each item.
std::vector<Scoring> score_with_model_variants(const Dataset& dataset, Classifier& classifier,
                                               const PipelineOptions& options, std::size_t variant_count,
                                               const std::function<void(const PipelineStats&)>& progress = {},
                                               const LabelMap& label_map = {});

// Several models over one read of each image (pipeline.hpp's classify_stream_models): one Scoring
// per model, in the order given, over the same items. Error(usage) when the models' classes differ
// after `label_map` (their reports could not be compared).
std::vector<Scoring> score_with_models(const Dataset& dataset, const std::vector<Classifier*>& classifiers,
                                       const PipelineOptions& options,
                                       const std::function<void(const PipelineStats&)>& progress = {},
                                       const LabelMap& label_map = {});

// Reads an ISIC submission CSV (image, then one column per class: 2018's MEL,NV,..., or 2019's with AK, SCC, UNK) or
// skinscan's own batch CSV and matches its rows to the dataset by image id. `malignant` (lower-case labels) feeds the
// binary view.
Scoring score_with_predictions(const Dataset& dataset, const std::string& predictions_csv,
                               const std::vector<std::string>& malignant, const LabelMap& label_map = {});

// The scored items as the flat arrays the metrics take: each item's truth, and its row of
// labels.size() values (row-major): the probabilities, or the raw model outputs (logits, for
// calibration; empty rows when scored from a predictions file).
struct FlatScores {
  std::vector<int> truth;
  std::vector<double> values;
};
FlatScores flatten_probabilities(const Scoring& scoring);
FlatScores flatten_raw_scores(const Scoring& scoring);

// `evaluate --per-image`: id, path, truth, prediction, confidence, correct, then one p_<label>
// column per class (what `compare` needs for paired tests on AUC).
std::string per_image_csv(const Scoring& scoring);

// For CI jobs (evaluate --strict): Error(input) when a labelled item has no prediction or a
// prediction has no label, listing the first few ids of each.
void require_complete(const Scoring& scoring);

// Error(usage) when some dataset class is not among `scoring.labels`; `what` names the source.
void check_label_space(const Dataset& dataset, const Scoring& scoring, const std::string& what);

// The class index of `item`'s label in `scoring.labels`; Error(input) naming the image when absent.
int truth_index(const Scoring& scoring, const LabeledItem& item);

}  // namespace skin
