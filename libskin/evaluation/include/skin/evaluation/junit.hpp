// skin/evaluation/junit.hpp: gate results as JUnit XML, the test-report format CI systems display
// (Jenkins, GitLab, Azure Pipelines, GitHub through common actions). One <testsuite> per run, one
// <testcase> per gate, a <failure> with the gate's message when it failed; the run's model and
// data as <properties>. The schema the tests validate against is tests/ci/junit.xsd.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "skin/evaluation/gates.hpp"

namespace skin {

struct JunitSuite {
  std::string name;                                             // e.g. "skinscan evaluate"
  std::vector<std::pair<std::string, std::string>> properties;  // name, value
  std::vector<GateResult> gates;
  // Items that could not be scored: one extra test case, failed when any is listed (exit code 2).
  std::vector<std::string> item_errors;
  bool with_items_case = false;
  double seconds = 0;     // the run's wall time
  std::string timestamp;  // UTC, ISO 8601 (now_iso8601); written without the zone, as JUnit's schema wants
};

// The suite's properties from an evaluate report: model name, version, manifest sha256 (or the
// predictions file), dataset root, layout and split, images scored, skinscan's version.
std::vector<std::pair<std::string, std::string>> report_properties(const nlohmann::json& report);

// "kind gate: measured VALUE (95% CI [lo, hi]), threshold T" for a test case's output.
std::string gate_result_line(const GateResult& result);

// The XML document: <testsuites> holding the suites (one per model of a run); text escaped,
// invalid UTF-8 replaced.
std::string junit_xml(const std::vector<JunitSuite>& suites, const std::string& name);
inline std::string junit_xml(const JunitSuite& suite) { return junit_xml({suite}, suite.name); }

}  // namespace skin
