// skin/evaluation/summary_markdown.hpp: an evaluate report as a Markdown job summary (GitHub's
// $GITHUB_STEP_SUMMARY, GitLab/Azure Markdown artefacts): headline metrics with CIs, the gate
// table, per-class metrics, the worst subgroups, the corruption and dataset-shift lines, and
// deltas against a baseline report. Fixed decimals and a fixed order, so two runs diff cleanly.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "skin/evaluation/gates.hpp"

namespace skin {

// `baseline`: null, or the --baseline report (adds a "Against the baseline" table).
std::string summary_markdown(const nlohmann::json& report, const std::vector<GateResult>& gates,
                             const nlohmann::json& baseline);

}  // namespace skin
