// model_copy.cpp: writes a copy of a model directory with a new temperature in its manifest.
#include "skin/model/model_copy.hpp"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "skin/core/error.hpp"
#include "skin/core/json_file.hpp"
#include "skin/model/manifest.hpp"
#include "skin/model/model_directory_writer.hpp"

namespace skin {

void save_with_temperature(const std::string& from, const std::string& to, double temperature,
                           const nlohmann::json& record, bool overwrite) {
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
  // Staged and renamed into place (model_directory_writer): no half-written model directory.
  ModelDirectoryWriter writer(to);
  fs::copy_file(model_path(from), writer.path(kModelFile), ec);
  if (ec) throw Error(ErrorKind::io, fmt::format("{}: cannot copy model.pt ({})", to, ec.message()));
  manifest["output"]["temperature"] = temperature;
  manifest["provenance"]["calibration"] = record;
  write_json(writer.path(kManifestFile), manifest);
  writer.commit(overwrite);
}

}  // namespace skin
