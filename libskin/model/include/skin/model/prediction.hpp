// skin/model/prediction.hpp: the result for one input item, and its derived views (top-k,
// malignant probability, JSON record).
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "skin/input/skin_tone.hpp"
#include "skin/model/manifest.hpp"

namespace skin {

// The result for one further version of an input image (PipelineOptions::variants).
struct VariantResult {
  std::vector<float> probabilities, scores;
};

struct Prediction {
  std::string path;
  std::string id;                       // file name without directory and extension
  std::vector<float> probabilities;     // one per manifest label; empty when `error` is set
  std::vector<float> scores;            // the raw model outputs behind them (logits, usually)
  std::string error;                    // one-line reason when the item failed
  double decode_ms = 0;                 // reading + decoding + preprocessing
  double inference_ms = 0;              // this item's share of its batch's forward pass
  std::vector<VariantResult> variants;  // PipelineOptions::variants' images, in order
  std::vector<float> pooled_features;   // for models with feature statistics (dataset_shift.hpp)
  bool skin_tone_measured = false;      // PipelineOptions::skin_tone was set
  std::optional<SkinTone> skin_tone{};  // ITA of the decoded image (none: too little skin visible)

  bool ok() const { return error.empty(); }
};

std::string image_id(const std::string& path);

// Indices of the k largest probabilities, highest first (ties: lower index first).
std::vector<std::size_t> top_k(const std::vector<float>& probabilities, std::size_t k);

// Sum of the probabilities of the manifest's malignant labels.
double malignant_probability(const std::vector<float>& probabilities, const Manifest& manifest);

// Whether the malignant probability reaches the manifest's guaranteed-sensitivity threshold
// (calibrate --malignant-sensitivity); only meaningful when the manifest has one.
bool malignant_call(const std::vector<float>& probabilities, const Manifest& manifest);

// The manifest's OOD score of a prediction (manifest.ood's method; nullopt without one, or when
// the prediction lacks what the method needs), and whether it is over the model's threshold.
std::optional<double> prediction_ood_score(const Prediction& prediction, const Manifest& manifest);
bool ood_flagged(double score, const Manifest& manifest);

// The labels of the manifest's conformal prediction set for these probabilities, by decreasing
// probability; empty when the manifest has no conformal section.
std::vector<std::string> prediction_set_labels(const std::vector<float>& probabilities, const Manifest& manifest);

// One self-contained JSON record: path, id, label, probability, all probabilities, top-k,
// malignant probability; or path, id, error.
nlohmann::json to_json(const Prediction& prediction, const Manifest& manifest, std::size_t k);

}  // namespace skin
