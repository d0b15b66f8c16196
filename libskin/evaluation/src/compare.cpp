// compare.cpp: report comparison and paired testing.
#include "skin/evaluation/compare.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <unordered_map>

#include <fmt/format.h>

#include "skin/core/csv.hpp"
#include "skin/core/error.hpp"
#include "skin/core/json_file.hpp"
#include "skin/evaluation/delong.hpp"

namespace skin {
namespace {

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

struct PerImage {
  std::vector<std::string> labels;                                                    // from the p_<label> columns
  std::unordered_map<std::string, std::pair<std::string, std::vector<double>>> rows;  // id -> (truth, probabilities)
};

PerImage read_probabilities(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::io, fmt::format("{}: cannot open", path));
  CsvReader csv(in, path);
  auto id = csv.require_column("id"), truth = csv.require_column("truth");
  PerImage out;
  std::vector<std::size_t> columns;
  for (std::size_t c = 0; c < csv.header().size(); ++c)
    if (csv.header()[c].rfind("p_", 0) == 0) {
      columns.push_back(c);
      out.labels.push_back(csv.header()[c].substr(2));
    }
  if (columns.empty())
    throw Error(ErrorKind::input, fmt::format("{}: no class probability columns (p_<label>); the DeLong test needs "
                                              "them: re-run evaluate --per-image with this version of skinscan",
                                              path));
  while (auto row = csv.next()) {
    std::vector<double> p;
    for (std::size_t c : columns) p.push_back(parse_probability(csv, (*row)[c], csv.header()[c]));
    if (!out.rows.emplace((*row)[id], std::make_pair((*row)[truth], p)).second)
      csv.fail(fmt::format("duplicate image id '{}'", (*row)[id]));
  }
  return out;
}

}  // namespace

nlohmann::json delong_per_image(const std::string& per_image_a, const std::string& per_image_b,
                                const std::vector<std::string>& malignant) {
  const PerImage a = read_probabilities(per_image_a), b = read_probabilities(per_image_b);
  if (a.labels != b.labels)
    throw Error(ErrorKind::input, fmt::format("{} and {}: different classes ({} vs {})", per_image_a, per_image_b,
                                              fmt::join(a.labels, ", "), fmt::join(b.labels, ", ")));
  std::vector<std::string> ids;
  for (const auto& [id, row] : a.rows)
    if (auto it = b.rows.find(id); it != b.rows.end()) {
      if (it->second.first != row.first)
        throw Error(ErrorKind::input, fmt::format("{} and {}: image '{}' has truth '{}' in one and '{}' in the other",
                                                  per_image_a, per_image_b, id, row.first, it->second.first));
      ids.push_back(id);
    }
  std::sort(ids.begin(), ids.end());
  nlohmann::json out = nlohmann::json::object();
  auto test = [&](const std::string& name, const std::function<bool(const std::string&)>& is_positive,
                  const std::function<double(const std::vector<double>&)>& score) {
    std::vector<bool> positive;
    std::vector<double> sa, sb;
    for (const auto& id : ids) {
      positive.push_back(is_positive(a.rows.at(id).first));
      sa.push_back(score(a.rows.at(id).second));
      sb.push_back(score(b.rows.at(id).second));
    }
    auto t = delong_paired_test(positive, sa, sb);
    out[name] = t ? nlohmann::json{{"auc_a", t->auc_a}, {"auc_b", t->auc_b}, {"z", t->z}, {"p_value", t->p_value}}
                  : nlohmann::json();
  };
  for (std::size_t k = 0; k < a.labels.size(); ++k)
    test(
        a.labels[k], [&](const std::string& t) { return t == a.labels[k]; },
        [k](const std::vector<double>& p) { return p[k]; });
  std::vector<bool> is_malignant(a.labels.size());
  for (std::size_t k = 0; k < a.labels.size(); ++k)
    is_malignant[k] = std::find(malignant.begin(), malignant.end(), a.labels[k]) != malignant.end();
  if (std::find(is_malignant.begin(), is_malignant.end(), true) != is_malignant.end())
    test(
        "malignant",
        [&](const std::string& t) { return std::find(malignant.begin(), malignant.end(), t) != malignant.end(); },
        [&](const std::vector<double>& p) {
          double s = 0;
          for (std::size_t k = 0; k < p.size(); ++k) s += is_malignant[k] ? p[k] : 0;
          return s;
        });
  out["paired_images"] = ids.size();
  out["test"] =
      "DeLong et al. 1988, paired (same images), two-sided; as pROC roc.test(paired = TRUE, method = \"delong\")";
  return out;
}

bool lower_is_better(const std::string& metric) {
  return metric == "ece" || metric == "mce" || metric == "brier" || metric == "nll" || metric == "aurc";
}

nlohmann::json load_report(const std::string& path) {
  const nlohmann::json r = read_json_file(path, "report");
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

const std::vector<std::string>& headline_metric_names() {
  static const std::vector<std::string> names{"accuracy", "balanced_accuracy", "macro_f1", "macro_auc", "ece"};
  return names;
}

std::vector<std::string> check_regressions(const nlohmann::json& report, const nlohmann::json& baseline,
                                           double max_drop) {
  std::vector<std::string> failures;
  // value(), not operator[]: a const json has no entry to create for a missing key.
  for (const std::string& name : headline_metric_names()) {
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
