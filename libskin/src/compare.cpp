// compare.cpp: report comparison and paired testing.
#include "skin/compare.hpp"

#include <cmath>
#include <fstream>
#include <unordered_map>

#include <fmt/format.h>

#include "skin/csv.hpp"
#include "skin/error.hpp"

namespace skin {
namespace {

const char* kHeadline[] = {"accuracy", "balanced_accuracy", "macro_f1", "macro_auc", "ece"};

std::unordered_map<std::string, bool> read_correct(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::io, fmt::format("{}: cannot open", path));
  CsvReader csv(in, path);
  auto id = csv.require_column("id"), correct = csv.require_column("correct");
  std::unordered_map<std::string, bool> out;
  while (auto row = csv.next()) {
    const std::string& v = (*row)[correct];
    if (v != "0" && v != "1") csv.fail(fmt::format("'correct' must be 0 or 1, not '{}'", v));
    if (!out.emplace((*row)[id], v == "1").second) csv.fail(fmt::format("duplicate image id '{}'", (*row)[id]));
  }
  return out;
}

}  // namespace

bool lower_is_better(const std::string& metric) {
  return metric == "ece" || metric == "mce" || metric == "brier" || metric == "nll";
}

nlohmann::json load_report(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::io, fmt::format("{}: cannot open report", path));
  nlohmann::json r;
  try {
    r = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    throw Error(ErrorKind::input, fmt::format("{}: invalid JSON", path));
  }
  if (!r.is_object() || !r.contains("metrics") || !r.contains("schema_version"))
    throw Error(ErrorKind::input, fmt::format("{}: not a skinscan evaluate report", path));
  return r;
}

nlohmann::json compare_reports(const nlohmann::json& a, const nlohmann::json& b) {
  nlohmann::json out = {{"metrics", nlohmann::json::object()}, {"per_class", nlohmann::json::object()}};
  for (const auto& [name, va] : a["metrics"].items()) {
    if (!b["metrics"].contains(name)) continue;
    const auto& vb = b["metrics"][name];
    nlohmann::json d = {{"a", va}, {"b", vb}, {"delta", nullptr}};
    if (va.is_number() && vb.is_number()) d["delta"] = vb.get<double>() - va.get<double>();
    out["metrics"][name] = d;
  }
  if (a.contains("per_class") && b.contains("per_class"))
    for (const auto& [label, ca] : a["per_class"].items()) {
      if (!b["per_class"].contains(label)) continue;
      const auto& cb = b["per_class"][label];
      for (const char* k : {"recall", "precision", "f1", "auc"}) {
        const nlohmann::json va = ca.value(k, nlohmann::json()), vb = cb.value(k, nlohmann::json());
        if (va.is_number() && vb.is_number())
          out["per_class"][label][k] = {{"a", va}, {"b", vb}, {"delta", vb.get<double>() - va.get<double>()}};
      }
    }
  return out;
}

std::vector<std::string> check_regressions(const nlohmann::json& report, const nlohmann::json& baseline,
                                           double max_drop) {
  std::vector<std::string> failures;
  // value(), not operator[]: a const json has no entry to create for a missing key.
  for (const char* name : kHeadline) {
    const nlohmann::json now = report["metrics"].value(name, nlohmann::json());
    const nlohmann::json before = baseline["metrics"].value(name, nlohmann::json());
    if (!now.is_number() || !before.is_number()) continue;
    double worse =
        lower_is_better(name) ? now.get<double>() - before.get<double>() : before.get<double>() - now.get<double>();
    if (worse > max_drop)
      failures.push_back(fmt::format("{} = {:.4f} is {:.4f} worse than the baseline's {:.4f} (max drop {})", name,
                                     now.get<double>(), worse, before.get<double>(), max_drop));
  }
  return failures;
}

double mcnemar_exact_p(std::size_t only_a, std::size_t only_b) {
  // Two-sided exact binomial test, k = min(discordant), n = total discordant, p = 1/2.
  const std::size_t n = only_a + only_b, k = std::min(only_a, only_b);
  if (n == 0) return 1.0;
  double tail = 0;
  for (std::size_t i = 0; i <= k; ++i)
    tail += std::exp(std::lgamma(double(n) + 1) - std::lgamma(double(i) + 1) - std::lgamma(double(n - i) + 1) -
                     double(n) * std::log(2.0));
  return std::min(1.0, 2 * tail);
}

McNemar mcnemar(const std::string& per_image_a, const std::string& per_image_b) {
  auto a = read_correct(per_image_a), b = read_correct(per_image_b);
  McNemar m;
  for (const auto& [id, right_a] : a) {
    auto it = b.find(id);
    if (it == b.end()) continue;
    ++m.paired;
    if (right_a && !it->second) ++m.only_a;
    if (!right_a && it->second) ++m.only_b;
  }
  m.p_value = mcnemar_exact_p(m.only_a, m.only_b);
  return m;
}

}  // namespace skin
