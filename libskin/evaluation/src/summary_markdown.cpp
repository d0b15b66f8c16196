// summary_markdown.cpp: an evaluate report as a Markdown job summary.
#include "skin/evaluation/summary_markdown.hpp"

#include <fmt/format.h>

#include "skin/core/json_text.hpp"
#include "skin/evaluation/compare.hpp"
#include "skin/evaluation/shift.hpp"
#include "skin/robustness/dataset_shift.hpp"

namespace skin {
namespace {

using nlohmann::json;

std::string num(const json& v) { return v.is_number() ? fmt::format("{:.4f}", v.get<double>()) : "-"; }

std::string ci(const json& v) {
  return v.is_array() && v.size() == 2 ? fmt::format("{} to {}", num(v[0]), num(v[1])) : "-";
}

// Table cells must not break the table: pipes escaped, newlines flattened.
std::string cell(const std::string& raw) {
  std::string out;
  for (char c : valid_utf8(raw)) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out += c;
  }
  return out;
}

std::string title(const json& report) {
  const json& model = report.value("model", json::object());
  const std::string who = model.value("kind", "") == "model"
                              ? fmt::format("{} {}", model.value("name", "?"), model.value("version", "?"))
                              : fmt::format("predictions {}", model.value("path", "?"));
  const json& data = report.value("dataset", json::object());
  std::string where = data.value("root", "");
  if (where.empty()) where = data.value("layout", "?") + " labels";  // --labels/--images: no single root
  if (data.contains("split") && data["split"].is_string())
    where += fmt::format(" (split {})", data["split"].get<std::string>());
  return cell(fmt::format("skinscan evaluate: {} on {}", who, where));
}

void headline(std::string& md, const json& report) {
  const json& m = report["metrics"];
  const json intervals = report.value("confidence_intervals", json::object());
  md += "| metric | value | 95% CI |\n|---|---:|---|\n";
  for (const char* k : {"accuracy", "balanced_accuracy", "macro_f1", "macro_auc", "ece"})
    md += fmt::format("| {} | {} | {} |\n", k, num(m.value(k, json())), ci(intervals.value(k, json())));
  const json& b = report.value("binary", json());
  if (b.is_object()) {
    md += fmt::format("| malignant sensitivity (at {}) | {} | - |\n", num(b["threshold"]), num(b["sensitivity"]));
    md += fmt::format("| malignant specificity (at {}) | {} | - |\n", num(b["threshold"]), num(b["specificity"]));
    md += fmt::format("| malignant AUC | {} | {} |\n", num(b["auc"]), ci(b.value("auc_ci", json())));
  }
  const json& d = report.value("dataset", json::object());
  md += fmt::format("\n{} images scored, {} failed, {} missing.\n", d.value("scored", 0), d.value("failed", 0),
                    d.value("missing", 0));
}

void gate_table(std::string& md, const std::vector<GateResult>& gates) {
  md += "\n### Gates\n\n";
  if (gates.empty()) {
    md += "No gates were set.\n";
    return;
  }
  std::size_t failed = 0;
  for (const auto& g : gates) failed += !g.passed();
  md += fmt::format("{} of {} gates passed.\n\n", gates.size() - failed, gates.size());
  md += "| gate | kind | measured | 95% CI | threshold | result |\n|---|---|---:|---|---:|---|\n";
  for (const auto& g : gates)
    md += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", cell(g.gate), g.kind, num(g.value), ci(g.ci),
                      num(json(g.threshold)), g.passed() ? "pass" : "**FAIL**");
  for (const auto& g : gates)
    for (const auto& f : g.failures) md += fmt::format("\n- {}", cell(f));
  if (failed) md += "\n";
}

void per_class(std::string& md, const json& report) {
  md += "\n### Per class\n\n| class | support | precision | recall | F1 | AUC |\n|---|---:|---:|---:|---:|---:|\n";
  for (const auto& [label, c] : report["per_class"].items())
    md += fmt::format("| {} | {} | {} | {} | {} | {} |\n", cell(label), c.value("support", 0), num(c["precision"]),
                      num(c["recall"]), num(c["f1"]), num(c.value("auc", json())));
}

void subgroups(std::string& md, const json& report) {
  if (!report.contains("disparity")) return;
  md +=
      "\n### Subgroups: worst group per metric\n\n| metric | worst group | its value | largest gap | groups |\n"
      "|---|---|---:|---:|---:|\n";
  for (const auto& [metric, d] : report["disparity"].items())
    if (d.is_object())
      md += fmt::format("| {} | {} | {} | {} | {} |\n", metric, cell(d.value("worst_group", "")), num(d["worst_value"]),
                        num(d["max_gap"]), d.value("groups_compared", 0));
}

void shift_lines(std::string& md, const json& report) {
  const json& m = report["metrics"];
  if (m.contains("shift_mean_balanced_accuracy"))
    md += fmt::format("\n**Corruptions:** mean balanced accuracy {}, worst {}, mean corruption error {}.\n",
                      num(m["shift_mean_balanced_accuracy"]), num(m.value("shift_worst_balanced_accuracy", json())),
                      num(m.value("shift_mean_corruption_error", json())));
  if (const auto headline = headline_malignant_change(report.value("shift_summary", json::object()));
      !headline.entry.is_null()) {
    const json& l = headline.entry;
    md += fmt::format(
        "\n**{} that moves the malignant probability most:** {} at severity {}, {:+.4f} (95% CI {:+.4f} to "
        "{:+.4f}), top-1 flips {}.\n",
        headline.artefact ? "Artefact" : "Shift", l["corruption"].get<std::string>(), l["severity"].get<int>(),
        l["mean_malignant_change"].get<double>(), l["ci"][0].get<double>(), l["ci"][1].get<double>(),
        num(l["top1_flip_rate"]));
  }
  if (report.contains("dataset_shift")) {
    std::string line = dataset_shift_summary(report["dataset_shift"]);
    const std::string prefix = "dataset shift: ";  // the summary line names itself; the bold label does here
    if (line.rfind(prefix, 0) == 0) line = line.substr(prefix.size());
    md += fmt::format("\n**Dataset shift:** {}\n", cell(line));
  }
}

void against_baseline(std::string& md, const json& report, const json& baseline) {
  if (baseline.is_null()) return;
  const json diff = compare_reports(baseline, report);
  md += "\n### Against the baseline\n\n| metric | baseline | now | change |\n|---|---:|---:|---:|\n";
  for (const std::string& name : headline_metric_names()) {
    if (!diff["metrics"].contains(name)) continue;
    const json& d = diff["metrics"][name];
    md += fmt::format("| {}{} | {} | {} | {} |\n", name, lower_is_better(name) ? " (lower is better)" : "", num(d["a"]),
                      num(d["b"]), d["delta"].is_number() ? fmt::format("{:+.4f}", d["delta"].get<double>()) : "-");
  }
}

}  // namespace

std::string summary_markdown(const json& report, const std::vector<GateResult>& gates, const json& baseline) {
  std::size_t failed = 0;
  for (const auto& g : gates) failed += !g.passed();
  std::string md = fmt::format("## {}\n\n", title(report));
  md += failed ? fmt::format("**{} gate(s) failed.**\n\n", failed) : gates.empty() ? "" : "**All gates passed.**\n\n";
  headline(md, report);
  gate_table(md, gates);
  per_class(md, report);
  subgroups(md, report);
  shift_lines(md, report);
  against_baseline(md, report, baseline);
  return md;
}

}  // namespace skin
