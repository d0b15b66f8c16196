// responses.cpp: JSON shapes for classified images.
#include "skin/serve/responses.hpp"

#include "skin/core/version.hpp"
#include "skin/explain/explanation.hpp"

namespace skin {

nlohmann::json classification_record(const Prediction& p, const Manifest& m, std::size_t k) {
  auto j = to_json(p, m, k);
  if (p.ok()) j["timing_ms"] = {{"decode", p.decode_ms}, {"inference", p.inference_ms}};
  return j;
}

nlohmann::json classification_document(const Manifest& m, const std::string& model_dir, nlohmann::json results,
                                       double total_ms) {
  return {
      {"model", {{"name", m.name}, {"version", m.version}, {"directory", model_dir}, {"temperature", m.temperature}}},
      {"skinscan", version()},
      {"results", std::move(results)},
      {"timing_ms", {{"total", total_ms}}},
      {"disclaimer", disclaimer()}};
}

nlohmann::json explanation_document(const Manifest& m, nlohmann::json results) {
  return {{"model", {{"name", m.name}, {"version", m.version}}},
          {"results", std::move(results)},
          {"sources", lesion_info()["sources"]},
          {"disclaimer", disclaimer()}};
}

nlohmann::json legacy_prediction_response(const Prediction& p, const Manifest& m) {
  const auto order = top_k(p.probabilities, p.probabilities.size());
  nlohmann::json all = nlohmann::json::array();
  for (auto i : order)
    all.push_back(
        {{"class_name", m.display_name(m.labels[i])}, {"class_code", m.labels[i]}, {"confidence", p.probabilities[i]}});
  const std::string& top = m.labels[order.front()];
  nlohmann::json prediction = {{"class_name", m.display_name(top)},
                               {"class_code", top},
                               {"confidence", p.probabilities[order.front()]},
                               {"is_cancerous", m.is_malignant(top)}};
  if (!m.malignant.empty()) prediction["malignant_probability"] = malignant_probability(p.probabilities, m);
  return {{"success", true}, {"prediction", prediction}, {"all_predictions", all}, {"disclaimer", disclaimer()}};
}

}  // namespace skin
