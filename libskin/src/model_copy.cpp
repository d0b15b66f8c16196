// model_copy.cpp: writes a copy of a model directory with a new temperature in its manifest.
#include "skin/model_copy.hpp"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "skin/error.hpp"
#include "skin/json_file.hpp"

namespace skin {

void save_with_temperature(const std::string& from, const std::string& to, double temperature,
                           const nlohmann::json& record, bool overwrite) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::equivalent(from, to, ec))
    throw Error(ErrorKind::usage, fmt::format("{}: output directory is the input model; choose another", to));
  if (fs::exists(fs::path(to) / "manifest.json") && !overwrite)
    throw Error(ErrorKind::usage, fmt::format("{}: already holds a model (use --force to replace it)", to));
  std::ifstream in(fs::path(from) / "manifest.json");
  nlohmann::json manifest;
  try {
    manifest = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    throw Error(ErrorKind::model, fmt::format("{}/manifest.json: invalid JSON", from));
  }
  fs::create_directories(to, ec);
  if (ec) throw Error(ErrorKind::io, fmt::format("{}: cannot create directory ({})", to, ec.message()));
  const auto model_tmp = fs::path(to) / "model.pt.partial";
  fs::copy_file(fs::path(from) / "model.pt", model_tmp, fs::copy_options::overwrite_existing, ec);
  if (ec) throw Error(ErrorKind::io, fmt::format("{}: cannot copy model.pt ({})", to, ec.message()));
  fs::rename(model_tmp, fs::path(to) / "model.pt", ec);
  if (ec) throw Error(ErrorKind::io, fmt::format("{}: cannot move model.pt into place ({})", to, ec.message()));
  manifest["output"]["temperature"] = temperature;
  manifest["provenance"]["calibration"] = record;
  write_json((fs::path(to) / "manifest.json").string(), manifest);
}

}  // namespace skin
