// prediction.cpp: derived views of a prediction.
#include "skin/model/prediction.hpp"

#include <algorithm>
#include <filesystem>
#include <numeric>

namespace skin {

std::string image_id(const std::string& path) { return std::filesystem::path(path).stem().string(); }

std::vector<std::size_t> top_k(const std::vector<float>& p, std::size_t k) {
  std::vector<std::size_t> idx(p.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return p[a] > p[b]; });
  idx.resize(std::min(k, idx.size()));
  return idx;
}

std::optional<double> prediction_ood_score(const Prediction& p, const Manifest& manifest) {
  if (!manifest.ood || !p.ok()) return std::nullopt;
  return ood_score(manifest.ood->method, p.probabilities, p.scores, manifest.output_kind == OutputKind::logits,
                   p.pooled_features, &*manifest.ood);
}

bool ood_flagged(double score, const Manifest& manifest) { return manifest.ood && score > manifest.ood->threshold; }

bool malignant_call(const std::vector<float>& probabilities, const Manifest& manifest) {
  return manifest.malignant_guarantee &&
         malignant_probability(probabilities, manifest) >= manifest.malignant_guarantee->threshold;
}

double malignant_probability(const std::vector<float>& p, const Manifest& manifest) {
  double total = 0;
  for (std::size_t i = 0; i < p.size() && i < manifest.labels.size(); ++i)
    if (manifest.is_malignant(manifest.labels[i])) total += p[i];
  return total;
}

std::vector<std::string> prediction_set_labels(const std::vector<float>& probabilities, const Manifest& manifest) {
  std::vector<std::string> labels;
  if (!manifest.conformal) return labels;
  for (auto k : prediction_set(std::vector<double>(probabilities.begin(), probabilities.end()), *manifest.conformal))
    labels.push_back(manifest.labels[k]);
  return labels;
}

nlohmann::json to_json(const Prediction& pred, const Manifest& manifest, std::size_t k) {
  nlohmann::json j;
  j["path"] = pred.path;
  j["id"] = pred.id;
  if (!pred.ok()) {
    j["error"] = pred.error;
    return j;
  }
  auto top = top_k(pred.probabilities, std::max<std::size_t>(1, k));
  j["label"] = manifest.labels[top[0]];
  j["probability"] = pred.probabilities[top[0]];
  nlohmann::json probs = nlohmann::json::object();
  for (std::size_t i = 0; i < manifest.labels.size(); ++i) probs[manifest.labels[i]] = pred.probabilities[i];
  j["probabilities"] = probs;
  nlohmann::json topk = nlohmann::json::array();
  for (auto i : top)
    topk.push_back({{"label", manifest.labels[i]},
                    {"name", manifest.display_name(manifest.labels[i])},
                    {"probability", pred.probabilities[i]}});
  j["top_k"] = topk;
  if (!manifest.malignant.empty()) j["malignant_probability"] = malignant_probability(pred.probabilities, manifest);
  if (manifest.conformal) j["prediction_set"] = prediction_set_labels(pred.probabilities, manifest);
  if (manifest.malignant_guarantee) j["malignant_call"] = malignant_call(pred.probabilities, manifest);
  if (pred.skin_tone_measured)
    j["ita"] = pred.skin_tone ? nlohmann::json{{"degrees", pred.skin_tone->ita}, {"category", pred.skin_tone->category}}
                              : nlohmann::json();
  if (manifest.ood) {
    const auto score = prediction_ood_score(pred, manifest);
    j["ood"] = {{"method", ood_method_name(manifest.ood->method)},
                {"score", score ? nlohmann::json(*score) : nlohmann::json()},
                {"threshold", manifest.ood->threshold},
                {"flagged", score ? nlohmann::json(ood_flagged(*score, manifest)) : nlohmann::json()}};
  }
  return j;
}

}  // namespace skin
