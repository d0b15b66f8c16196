// junit_test.cpp: gate results as JUnit XML (skin/evaluation/junit.hpp); tests/cli/evaluate.sh
// validates whole files against tests/ci/junit.xsd with xmllint.
#include "skin/evaluation/junit.hpp"

#include <doctest/doctest.h>

#include "support.hpp"

namespace {

skin::GateResult gate(const std::string& name, std::vector<std::string> failures) {
  skin::GateResult r;
  r.kind = "fail_under";
  r.gate = name;
  r.metric = "accuracy";
  r.threshold = 0.5;
  r.value = 0.4;
  r.ci = nlohmann::json::array({0.3, 0.5});
  r.failures = std::move(failures);
  return r;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("one test case per gate, a failure element for each failed gate, counts that match") {
  skin::JunitSuite suite;
  suite.name = "skinscan evaluate";
  suite.properties = {{"model.name", "m"}};
  suite.gates = {gate("accuracy=0.5", {"accuracy = 0.4000 is below 0.5"}), gate("ece=0.1", {})};
  suite.with_items_case = true;
  suite.item_errors = {"a.jpg: file is empty"};
  suite.timestamp = "2026-12-06T10:00:00Z";
  const std::string x = skin::junit_xml(suite);
  CHECK(x.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites ", 0) == 0);
  CHECK(count(x, "<testcase ") == 3);
  CHECK(count(x, "<failure ") == 2);
  CHECK(x.find("tests=\"3\" failures=\"2\" errors=\"0\"") != std::string::npos);
  CHECK(x.find("timestamp=\"2026-12-06T10:00:00\"") != std::string::npos);  // no zone, as the schema wants
  CHECK(x.find("<property name=\"model.name\" value=\"m\"/>") != std::string::npos);
  CHECK(x.find("message=\"accuracy = 0.4000 is below 0.5\"") != std::string::npos);
  CHECK(x.find("fail_under accuracy=0.5: measured 0.4000 (95% CI 0.3000 to 0.5000), threshold 0.5000") !=
        std::string::npos);
  CHECK(x.find("message=\"1 items could not be scored\"") != std::string::npos);
}

TEST_CASE("text is escaped for XML and made valid UTF-8") {
  skin::JunitSuite suite;
  suite.name = "s";
  suite.properties = {{"dataset.root", "/data/<a&b>\"'\x01\xff"}};
  const std::string x = skin::junit_xml(suite);
  CHECK(x.find("value=\"/data/&lt;a&amp;b&gt;&quot;&apos;?\xef\xbf\xbd\"") != std::string::npos);
  CHECK(count(x, "<testcase ") == 0);
}
