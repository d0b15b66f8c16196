// skin/model/model_copy.hpp: a calibrated copy of a model directory (model.pt copied, manifest
// rewritten with the fitted temperature and how it was fitted).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace skin {

// Writes a copy of the model directory `from` to `to` (model.pt copied, manifest.json rewritten)
// whose manifest carries `temperature`, with `record` stored as provenance.calibration.
// Refuses to overwrite an existing manifest in `to` unless `overwrite`.
void save_with_temperature(const std::string& from, const std::string& to, double temperature,
                           const nlohmann::json& record, bool overwrite);

// The same with top-level manifest sections set ({"conformal": conformal_json(...),
// "malignant_guarantee": ...}), fitted on the model's probabilities at its current temperature.
void save_with_sections(const std::string& from, const std::string& to, const nlohmann::json& sections, bool overwrite);

}  // namespace skin
