// label_issues.cpp: per-class thresholds, the confident joint and the ranked issues.
#include "skin/evaluation/label_issues.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>

#include <fmt/format.h>

#include "skin/core/csv.hpp"
#include "skin/core/error.hpp"

namespace skin {

ConfidentLearning confident_learning(const std::vector<std::vector<double>>& p, const std::vector<int>& labels,
                                     std::size_t classes) {
  ConfidentLearning cl;
  std::vector<double> sum(classes, 0.0), count(classes, 0.0);
  for (std::size_t r = 0; r < p.size(); ++r) {
    sum[std::size_t(labels[r])] += p[r][std::size_t(labels[r])];
    count[std::size_t(labels[r])] += 1;
  }
  cl.thresholds.resize(classes);
  for (std::size_t j = 0; j < classes; ++j)
    cl.thresholds[j] = count[j] > 0 ? sum[j] / count[j] : std::numeric_limits<double>::quiet_NaN();
  cl.joint.assign(classes, std::vector<std::size_t>(classes, 0));
  for (std::size_t r = 0; r < p.size(); ++r) {
    int best = -1;
    for (std::size_t j = 0; j < classes; ++j)
      if (!std::isnan(cl.thresholds[j]) && p[r][j] >= cl.thresholds[j] &&
          (best < 0 || p[r][j] > p[r][std::size_t(best)]))
        best = int(j);
    cl.confident_class.push_back(best);
    if (best < 0) continue;
    ++cl.joint[std::size_t(labels[r])][std::size_t(best)];
    if (best != labels[r])
      cl.issues.push_back({r, labels[r], best, p[r][std::size_t(labels[r])], p[r][std::size_t(best)]});
  }
  std::stable_sort(cl.issues.begin(), cl.issues.end(),
                   [](const LabelIssue& a, const LabelIssue& b) { return a.self_confidence < b.self_confidence; });
  return cl;
}

nlohmann::json label_issues_report(const std::string& path, const std::unordered_set<std::string>& ids,
                                   std::size_t top) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::io, fmt::format("{}: cannot open", path));
  CsvReader csv(in, path);
  const auto id_col = csv.column("id"), truth_col = csv.column("truth");
  if (!id_col || !truth_col) csv.fail("not an evaluate --per-image CSV (no id and truth columns)");
  std::vector<std::string> labels;
  std::vector<std::size_t> p_cols;
  for (std::size_t c = 0; c < csv.header().size(); ++c)
    if (csv.header()[c].rfind("p_", 0) == 0) labels.push_back(csv.header()[c].substr(2)), p_cols.push_back(c);
  if (labels.size() < 2) csv.fail("not an evaluate --per-image CSV (fewer than two p_<label> columns)");
  std::vector<std::string> row_ids;
  std::vector<std::vector<double>> probabilities;
  std::vector<int> given;
  std::size_t rows = 0;
  while (auto row = csv.next()) {
    ++rows;
    const std::string& id = (*row)[*id_col];
    if (!ids.empty() && !ids.count(id)) continue;
    const auto t = std::find(labels.begin(), labels.end(), (*row)[*truth_col]);
    if (t == labels.end()) csv.fail(fmt::format("truth '{}' is not among the p_ columns", (*row)[*truth_col]));
    std::vector<double> p;
    for (std::size_t c : p_cols) {
      try {
        p.push_back(std::stod((*row)[c]));
      } catch (const std::exception&) {
        csv.fail(fmt::format("'{}' is not a probability", (*row)[c]));
      }
    }
    row_ids.push_back(id);
    probabilities.push_back(std::move(p));
    given.push_back(int(t - labels.begin()));
  }
  if (row_ids.empty())
    throw Error(ErrorKind::input,
                fmt::format("{}: none of its {} ids is among the audited images (a --per-image CSV of "
                            "other images?)",
                            path, rows));
  const ConfidentLearning cl = confident_learning(probabilities, given, labels.size());
  nlohmann::json issues = nlohmann::json::array();
  for (std::size_t k = 0; k < cl.issues.size() && k < top; ++k) {
    const LabelIssue& i = cl.issues[k];
    issues.push_back({{"id", row_ids[i.row]},
                      {"given", labels[std::size_t(i.given)]},
                      {"suggested", labels[std::size_t(i.suggested)]},
                      {"self_confidence", i.self_confidence},
                      {"suggested_probability", i.suggested_probability}});
  }
  nlohmann::json thresholds = nlohmann::json::object();
  for (std::size_t j = 0; j < labels.size(); ++j)
    thresholds[labels[j]] = std::isnan(cl.thresholds[j]) ? nlohmann::json() : nlohmann::json(cl.thresholds[j]);
  return {{"source", path},
          {"classes", labels},
          {"images", row_ids.size()},
          {"thresholds", thresholds},
          {"confident_joint", cl.joint},
          {"issue_count", cl.issues.size()},
          {"issues", issues},
          {"definition",
           "confident learning (Northcutt et al. 2021): per-class threshold = mean probability of the class over "
           "images labelled with it; an image's confident class = the highest-probability class at or above its "
           "threshold; issues = images whose confident class is not their label, lowest self-confidence first. "
           "Needs out-of-sample probabilities (a model that never trained on these images)"}};
}

}  // namespace skin
