// model_copy.cpp: writes a copy of a model directory with a new temperature in its manifest.
#include "skin/model/model_copy.hpp"

#include <filesystem>
#include <fstream>
#include <functional>

#include <fmt/format.h>

#include "skin/core/error.hpp"
#include "skin/core/json_file.hpp"
#include "skin/model/manifest.hpp"
#include "skin/model/model_directory_writer.hpp"

namespace skin {

namespace {

// Copies the model directory `from` to `to` (model.pt copied, manifest.json rewritten by `edit`),
// staged and renamed into place (model_directory_writer): no half-written model directory.
void save_edited_copy(const std::string& from, const std::string& to, const std::function<void(nlohmann::json&)>& edit,
                      bool overwrite) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::equivalent(from, to, ec))
    throw Error(ErrorKind::usage, fmt::format("{}: output directory is the input model; choose another", to));
  if (fs::exists(manifest_path(to)) && !overwrite)
    throw Error(ErrorKind::usage, fmt::format("{}: already holds a model (use --force to replace it)", to));
  std::ifstream in(manifest_path(from));
  nlohmann::json manifest;
  try {
    manifest = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    throw Error(ErrorKind::model, fmt::format("{}: invalid JSON", manifest_path(from)));
  }
  ModelDirectoryWriter writer(to);
  fs::copy_file(model_path(from), writer.path(kModelFile), ec);
  if (ec) throw Error(ErrorKind::io, fmt::format("{}: cannot copy model.pt ({})", to, ec.message()));
  edit(manifest);
  write_json(writer.path(kManifestFile), manifest);
  writer.commit(overwrite);
}

}  // namespace

void save_with_temperature(const std::string& from, const std::string& to, double temperature,
                           const nlohmann::json& record, bool overwrite) {
  save_edited_copy(
      from, to,
      [&](nlohmann::json& manifest) {
        manifest["output"]["temperature"] = temperature;
        manifest["provenance"]["calibration"] = record;
        // Both were fitted on probabilities at the old temperature.
        manifest.erase("conformal");
        manifest.erase("malignant_guarantee");
        // MSP moves with the temperature; energy (raw logits) and Mahalanobis (features) do not.
        if (manifest.contains("ood") && manifest["ood"].value("method", "") == "msp") manifest.erase("ood");
      },
      overwrite);
}

void save_with_sections(const std::string& from, const std::string& to, const nlohmann::json& sections,
                        bool overwrite) {
  save_edited_copy(
      from, to,
      [&](nlohmann::json& manifest) {
        for (const auto& [name, section] : sections.items()) manifest[name] = section;
      },
      overwrite);
}

}  // namespace skin
