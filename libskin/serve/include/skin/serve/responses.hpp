// skin/serve/responses.hpp: the JSON documents for classified images, shared by `skinscan classify
// --json` and the HTTP server so that both say the same thing the same way.
#pragma once
#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "skin/model/manifest.hpp"
#include "skin/model/prediction.hpp"

namespace skin {

// One result: to_json() plus timing_ms {decode, inference} for a successful prediction.
nlohmann::json classification_record(const Prediction& prediction, const Manifest& manifest, std::size_t k);

// The whole document: model {name, version, directory, temperature}, skinscan version,
// results, timing_ms {total}, disclaimer.
nlohmann::json classification_document(const Manifest& manifest, const std::string& model_dir, nlohmann::json results,
                                       double total_ms);

// What `explain --json` prints: model {name, version}, results (explain_image() JSON per image),
// the sources of the class texts, disclaimer.
nlohmann::json explanation_document(const Manifest& manifest, nlohmann::json results);

// The answer shape of the Flask/FastAPI apps skinscan replaces, so their clients keep working:
// {success, prediction {class_name, class_code, confidence, is_cancerous, malignant_probability},
//  all_predictions [{class_name, class_code, confidence}, highest first], disclaimer}.
// is_cancerous: the top class is one of the manifest's malignant labels.
nlohmann::json legacy_prediction_response(const Prediction& prediction, const Manifest& manifest);

}  // namespace skin
