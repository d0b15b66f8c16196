// skin/model/thresholds_file.hpp: the thresholds file: per-class decision thresholds picked on one
// dataset by `evaluate --pick-threshold --save-thresholds` and applied to another by `--thresholds`.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace skin {

// A thresholds file written by --save-thresholds: {"rule", "picked_on", "thresholds": {...}}.
// Error(io/input) naming the file when it cannot be read or has no thresholds.
nlohmann::json load_thresholds(const std::string& path);
// The file --save-thresholds writes, from a report made with pick_threshold set.
nlohmann::json thresholds_file(const nlohmann::json& report);

}  // namespace skin
