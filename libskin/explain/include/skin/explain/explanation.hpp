// skin/explain/explanation.hpp: the plain-language explanation of a prediction: top-3 differential,
// risk level from the manifest's malignant set, next step, uncertainty and quality warnings,
// and the built-in class descriptions (libskin/explain/data/lesion_info.json, with its sources).
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "skin/model/manifest.hpp"
#include "skin/model/quality.hpp"

namespace skin {

// The built-in class texts (parsed once).
const nlohmann::json& lesion_info();

// The one disclaimer every output that shows a prediction to a person carries.
const std::string& disclaimer();

// Risk rule on the summed malignant probability p: high when p >= 0.5, moderate when
// 0.2 <= p < 0.5, low below 0.2; "unknown" when the manifest names no malignant labels.
// Unsure when the top probability is below 0.5 or the margin to the second is below 0.15.
inline constexpr double kHighRisk = 0.5, kModerateRisk = 0.2, kUnsureTop = 0.5, kUnsureMargin = 0.15;

nlohmann::json explain_prediction(const Manifest& manifest, const std::vector<float>& probabilities,
                                  const std::vector<QualityCheck>& quality);

// The readable text block for explain's default output.
std::string explanation_text(const nlohmann::json& explanation);

}  // namespace skin
