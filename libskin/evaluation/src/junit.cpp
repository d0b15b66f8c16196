// junit.cpp: gate results as a JUnit XML document.
#include "skin/evaluation/junit.hpp"

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "skin/core/json_text.hpp"

namespace skin {
namespace {

// XML 1.0 text: the five entities escaped, control characters XML forbids replaced by '?'.
std::string xml_escape(const std::string& raw) {
  const std::string text = valid_utf8(raw);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r')
          out += '?';
        else
          out += c;
    }
  }
  return out;
}

std::string number_text(const nlohmann::json& v) {
  return v.is_number() ? fmt::format("{:.4f}", v.get<double>()) : "undefined";
}

std::string text_of(const nlohmann::json& v) {
  if (v.is_null()) return "";
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string hostname() {
  char name[256] = {};
  return ::gethostname(name, sizeof name - 1) == 0 && name[0] ? std::string(name) : "localhost";
}

}  // namespace

std::vector<std::pair<std::string, std::string>> report_properties(const nlohmann::json& report) {
  std::vector<std::pair<std::string, std::string>> p;
  const nlohmann::json& model = report.value("model", nlohmann::json::object());
  if (model.value("kind", "") == "model") {
    p.emplace_back("model.name", text_of(model.value("name", nlohmann::json())));
    p.emplace_back("model.version", text_of(model.value("version", nlohmann::json())));
    p.emplace_back("model.manifest_sha256", text_of(model.value("manifest_sha256", nlohmann::json())));
  } else {
    for (const auto& [k, v] : model.items()) p.emplace_back("model." + k, text_of(v));
  }
  const nlohmann::json& data = report.value("dataset", nlohmann::json::object());
  for (const char* k : {"root", "layout", "split", "scored", "failed"})
    if (data.contains(k) && !data[k].is_null()) p.emplace_back(std::string("dataset.") + k, text_of(data[k]));
  p.emplace_back("skinscan.version", text_of(report.value("skinscan", nlohmann::json())));
  return p;
}

std::string gate_result_line(const GateResult& r) {
  std::string line = fmt::format("{} {}: measured {}", r.kind, r.gate, number_text(r.value));
  if (r.ci.is_array() && r.ci.size() == 2)
    line += fmt::format(" (95% CI {} to {})", number_text(r.ci[0]), number_text(r.ci[1]));
  return line + fmt::format(", threshold {:.4f}", r.threshold);
}

namespace {

std::size_t case_count(const JunitSuite& suite) { return suite.gates.size() + (suite.with_items_case ? 1 : 0); }

std::size_t failure_count(const JunitSuite& suite) {
  std::size_t failures = 0;
  for (const auto& g : suite.gates) failures += !g.passed();
  return failures + (suite.with_items_case && !suite.item_errors.empty() ? 1 : 0);
}

std::string counts(std::size_t tests, std::size_t failures, double seconds) {
  return fmt::format("tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" time=\"{:.3f}\"", tests, failures,
                     seconds);
}

std::string suite_xml(const JunitSuite& suite) {
  std::string timestamp = suite.timestamp;
  if (!timestamp.empty() && timestamp.back() == 'Z') timestamp.pop_back();
  std::string x = fmt::format("  <testsuite name=\"{}\" {} timestamp=\"{}\" hostname=\"{}\">\n", xml_escape(suite.name),
                              counts(case_count(suite), failure_count(suite), suite.seconds), xml_escape(timestamp),
                              xml_escape(hostname()));
  x += "    <properties>\n";
  for (const auto& [name, value] : suite.properties)
    x += fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", xml_escape(name), xml_escape(value));
  x += "    </properties>\n";
  for (const auto& g : suite.gates) {
    x += fmt::format("    <testcase name=\"{}\" classname=\"skinscan.gates.{}\" time=\"0\">\n", xml_escape(g.gate),
                     xml_escape(g.kind));
    if (!g.passed()) {
      std::string all;
      for (const auto& f : g.failures) all += f + "\n";
      x += fmt::format("      <failure message=\"{}\" type=\"gate\">{}</failure>\n", xml_escape(g.failures.front()),
                       xml_escape(all));
    }
    x += fmt::format("      <system-out>{}</system-out>\n", xml_escape(gate_result_line(g)));
    x += "    </testcase>\n";
  }
  if (suite.with_items_case) {
    x += "    <testcase name=\"every item scored\" classname=\"skinscan.items\" time=\"0\">\n";
    if (!suite.item_errors.empty()) {
      std::string all;
      for (const auto& e : suite.item_errors) all += e + "\n";
      x += fmt::format("      <failure message=\"{} items could not be scored\" type=\"items\">{}</failure>\n",
                       suite.item_errors.size(), xml_escape(all));
    }
    x += "    </testcase>\n";
  }
  return x + "  </testsuite>\n";
}

}  // namespace

std::string junit_xml(const std::vector<JunitSuite>& suites, const std::string& name) {
  std::size_t tests = 0, failures = 0;
  double seconds = 0;
  for (const auto& s : suites)
    tests += case_count(s), failures += failure_count(s), seconds = std::max(seconds, s.seconds);
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += fmt::format("<testsuites name=\"{}\" {}>\n", xml_escape(name), counts(tests, failures, seconds));
  for (const auto& s : suites) x += suite_xml(s);
  return x + "</testsuites>\n";
}

}  // namespace skin
