// model_locator.cpp: model directory lookup in a fixed, documented order.
#include "skin/model/model_locator.hpp"

#include <cstdlib>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "skin/core/error.hpp"
#include "skin/model/manifest.hpp"

namespace skin {

std::string locate_model(const std::string& explicit_dir, const std::string& executable) {
  namespace fs = std::filesystem;
  if (!explicit_dir.empty()) return explicit_dir;
  if (const char* env = std::getenv("SKINSCAN_MODEL"); env && *env) return env;

  std::vector<fs::path> candidates;
  std::error_code ec;
  fs::path exe = fs::canonical(executable.empty() ? "/proc/self/exe" : executable, ec);
  if (ec) exe = fs::canonical("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path().parent_path() / "share/skinscan/models" / kDefaultModelName);
  candidates.push_back(fs::path(SKINSCAN_INSTALL_MODELS) / kDefaultModelName);
  candidates.push_back(fs::path(SKINSCAN_SOURCE_MODELS) / kDefaultModelName);
  std::string searched;
  for (const auto& dir : candidates) {
    if (fs::exists(manifest_path(dir.string()), ec)) return dir.string();
    searched += (searched.empty() ? "" : ", ") + dir.string();
  }
  throw Error(
      ErrorKind::model,
      fmt::format("no model given and no bundled model found (searched {}); use --model DIR or set SKINSCAN_MODEL",
                  searched));
}

}  // namespace skin
