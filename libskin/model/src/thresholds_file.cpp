// thresholds_file.cpp: the JSON file of per-class decision thresholds (--save-thresholds / --thresholds).
#include "skin/model/thresholds_file.hpp"

#include <fmt/format.h>

#include "skin/core/error.hpp"
#include "skin/core/json_file.hpp"

namespace skin {

nlohmann::json load_thresholds(const std::string& path) {
  const nlohmann::json j = read_json_file(path, "thresholds file");
  if (!j.is_object() || !j.contains("thresholds") || !j["thresholds"].is_object())
    throw Error(ErrorKind::input, fmt::format("{}: no 'thresholds' object (write one with --save-thresholds)", path));
  for (const auto& [name, value] : j["thresholds"].items())
    if (!value.is_number() && !value.is_null())
      throw Error(ErrorKind::input, fmt::format("{}: threshold for '{}' is not a number", path, name));
  return j;
}

nlohmann::json thresholds_file(const nlohmann::json& report) {
  if (!report.contains("thresholds_picked")) throw Error(ErrorKind::usage, "--save-thresholds needs --pick-threshold");
  return {{"schema_version", 1},
          {"rule", report["thresholds_picked"]["rule"]},
          {"picked_on",
           {{"model", report["model"]}, {"dataset", report["dataset"]["root"]}, {"split", report["dataset"]["split"]}}},
          {"thresholds", report["thresholds_picked"]["thresholds"]},
          {"rule_text",
           "positive when score >= threshold (score: class probability; malignant: summed malignant probability)"}};
}

}  // namespace skin
