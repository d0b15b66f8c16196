// cli/compare.cpp: `skinscan compare A.json B.json`: per-metric and per-class differences, and
// McNemar's test when per-image CSVs of both runs are given.
#include "skin/evaluation/compare.hpp"

#include <chrono>
#include <cstdio>
#include <optional>

#include <fmt/format.h>

#include "common.hpp"
#include "skin/core/json_file.hpp"
#include "skin/core/output_file.hpp"
#include "skin/core/strings.hpp"
#include "skin/evaluation/gates.hpp"
#include "skin/evaluation/junit.hpp"

namespace cli {
namespace {

struct CompareOptions {
  std::string a, b;
  std::vector<std::string> per_image;
  bool json = false;
  std::optional<double> max_drop;  // gate: B no worse than A by more than this on a headline metric
  std::string junit;
};

std::string num(const nlohmann::json& v) { return v.is_number() ? fmt::format("{:.4f}", v.get<double>()) : "-"; }
std::string delta(const nlohmann::json& v) { return v.is_number() ? fmt::format("{:+.4f}", v.get<double>()) : "-"; }

int run(const CompareOptions& o) {
  const auto started = std::chrono::steady_clock::now();
  const std::string started_at = skin::now_iso8601();
  skin::check_writable(o.junit);
  auto a = skin::load_report(o.a), b = skin::load_report(o.b);
  nlohmann::json diff = skin::compare_reports(a, b);
  // B against A as its baseline: one result per headline metric (checked only with --max-drop).
  std::vector<skin::GateResult> gates;
  if (o.max_drop) {
    gates = skin::regression_results(b, a, *o.max_drop);
    diff["gates"] = {{"max_drop", *o.max_drop}, {"failed", skin::gate_failures(gates)}};
  }
  if (o.per_image.size() == 2) {
    auto m = skin::mcnemar(o.per_image[0], o.per_image[1]);
    diff["mcnemar"] = {{"paired", m.paired},
                       {"right_only_in_a", m.only_a},
                       {"right_only_in_b", m.only_b},
                       {"p_value", m.p_value},
                       {"test", "exact two-sided binomial on discordant pairs"}};
    std::vector<std::string> malignant;
    if (a.contains("binary") && a["binary"].is_object())
      malignant = a["binary"]["malignant"].get<std::vector<std::string>>();
    diff["delong"] = skin::delong_per_image(o.per_image[0], o.per_image[1], malignant);
  }
  if (!o.junit.empty()) {
    skin::JunitSuite suite;
    suite.name = "skinscan compare";
    suite.properties = skin::report_properties(b);
    suite.gates = gates;
    suite.properties.emplace_back("baseline", o.a);
    suite.properties.emplace_back("candidate", o.b);
    suite.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    suite.timestamp = started_at;
    skin::write_file_atomically(o.junit, skin::junit_xml(suite));
  }
  const std::vector<std::string> failures = skin::gate_failures(gates);
  auto exit_code = [&] {
    for (const auto& f : failures) std::fprintf(stderr, "skinscan: gate failed: %s\n", f.c_str());
    return failures.empty() ? kOk : kGateFailed;
  };
  if (o.json) {
    skin::write_json("-", diff);
    return exit_code();
  }
  std::string out = fmt::format("A: {}\nB: {}\n\n{:<20} {:>8} {:>8} {:>8}\n", o.a, o.b, "metric", "A", "B", "B-A");
  for (const auto& [name, d] : diff["metrics"].items())
    out += fmt::format("{:<20} {:>8} {:>8} {:>8}{}\n", name, num(d["a"]), num(d["b"]), delta(d["delta"]),
                       skin::lower_is_better(name) ? "  (lower is better)" : "");
  out += fmt::format("\n{:<8} {:>10} {:>10} {:>10}\n", "class", "recall B-A", "f1 B-A", "auc B-A");
  for (const auto& [label, d] : diff["per_class"].items())
    out +=
        fmt::format("{:<8} {:>10} {:>10} {:>10}\n", label, delta(d.value("recall", nlohmann::json())["delta"]),
                    delta(d.value("f1", nlohmann::json())["delta"]), delta(d.value("auc", nlohmann::json())["delta"]));
  if (diff.contains("mcnemar")) {
    const auto& m = diff["mcnemar"];
    out += fmt::format("\nMcNemar on {} paired images: right only in A {}, only in B {}, p = {:.4g}\n",
                       m["paired"].get<int>(), m["right_only_in_a"].get<int>(), m["right_only_in_b"].get<int>(),
                       m["p_value"].get<double>());
  }
  if (diff.contains("delong")) {
    out += fmt::format("\nDeLong paired AUC test on {} images:\n{:<10} {:>8} {:>8} {:>8} {:>10}\n",
                       diff["delong"]["paired_images"].get<int>(), "class", "AUC A", "AUC B", "z", "p");
    for (const auto& [name, t] : diff["delong"].items())
      if (t.is_object())
        out += fmt::format("{:<10} {:>8.4f} {:>8.4f} {:>8.3f} {:>10.4g}\n", name, t["auc_a"].get<double>(),
                           t["auc_b"].get<double>(), t["z"].get<double>(), t["p_value"].get<double>());
  }
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
  return exit_code();
}

}  // namespace

Subcommand setup_compare(CLI::App& app) {
  auto o = std::make_shared<CompareOptions>();
  auto* sub = app.add_subcommand("compare", "Compare two evaluate reports (per metric, per class, McNemar, DeLong)");
  sub->add_option("a", o->a, "Report A (e.g. the baseline)")->required()->check(CLI::ExistingFile);
  sub->add_option("b", o->b, "Report B (e.g. the candidate)")->required()->check(CLI::ExistingFile);
  sub->add_option("--per-image", o->per_image,
                  "Per-image CSVs of A and B (evaluate --per-image): McNemar's test and DeLong's paired AUC test")
      ->expected(2);
  sub->add_flag("--json", o->json, "Print the comparison as JSON");
  sub->add_option("--max-drop", o->max_drop,
                  "Gate: exit 3 when B is worse than A by more than this on a headline metric "
                  "(accuracy, balanced_accuracy, macro_f1, macro_auc, ece)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--junit", o->junit, "Write JUnit XML to FILE: one test case per headline metric with --max-drop");
  sub->footer(std::string("Examples:\n  skinscan compare old.json new.json\n"
                          "  skinscan compare old.json new.json --per-image old.csv new.csv\n"
                          "  skinscan compare baseline.json candidate.json --max-drop 0.01 --junit compare.xml\n") +
              docs_line("evaluate.md and docs/ci.md") + kExitCodesHelp);
  return {sub, [o] { return run(*o); }};
}

}  // namespace cli
