// leaderboard.cpp: many models on one data set: ranking and paired tests against the first.
#include "skin/evaluation/leaderboard.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <unordered_map>

#include <fmt/format.h>

#include "skin/core/error.hpp"
#include "skin/evaluation/compare.hpp"
#include "skin/evaluation/delong.hpp"
#include "skin/evaluation/gates.hpp"
#include "skin/evaluation/subset_metrics.hpp"

namespace skin {
namespace {

using nlohmann::json;

std::string num_text(const json& v) { return v.is_number() ? fmt::format("{:.4f}", v.get<double>()) : "-"; }
std::string ci_text(const json& v) {
  return v.is_array() && v.size() == 2 ? fmt::format("[{}, {}]", num_text(v[0]), num_text(v[1])) : "-";
}

std::string model_label(const json& report) {
  const json& m = report.value("model", json::object());
  if (m.value("kind", "") == "model") return fmt::format("{} {}", m.value("name", "?"), m.value("version", "?"));
  return m.value("path", "?");
}

// The images two scorings both scored, as index pairs.
std::vector<std::pair<std::size_t, std::size_t>> paired_items(const Scoring& a, const Scoring& b) {
  std::unordered_map<std::string, std::size_t> in_b;
  for (std::size_t j = 0; j < b.scored.size(); ++j) in_b.emplace(b.scored[j].id, j);
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  for (std::size_t i = 0; i < a.scored.size(); ++i)
    if (auto it = in_b.find(a.scored[i].id); it != in_b.end()) pairs.emplace_back(i, it->second);
  return pairs;
}

std::size_t top1(const std::vector<double>& p) {
  return std::size_t(std::max_element(p.begin(), p.end()) - p.begin());  // the first on ties, as the report
}

// Mean recall over the classes present among the given items (the report's definition).
double balanced_accuracy(const std::vector<int>& truth, const std::vector<std::size_t>& predicted,
                         const std::vector<std::size_t>& rows, std::size_t classes) {
  std::vector<double> hit(classes, 0), total(classes, 0);
  for (std::size_t r : rows) {
    total[std::size_t(truth[r])] += 1;
    hit[std::size_t(truth[r])] += predicted[r] == std::size_t(truth[r]);
  }
  double sum = 0;
  int present = 0;
  for (std::size_t c = 0; c < classes; ++c)
    if (total[c] > 0) sum += hit[c] / total[c], ++present;
  return present ? sum / present : 0;
}

json pairwise(const Scoring& ref, const Scoring& other, const json& ref_report, const json& other_report,
              const LeaderboardOptions& options) {
  const auto pairs = paired_items(ref, other);
  const std::size_t n = pairs.size(), classes = ref.labels.size();
  std::vector<int> truth(n);
  std::vector<std::size_t> pred_a(n), pred_b(n);
  std::size_t only_a = 0, only_b = 0;
  std::vector<bool> malignant_truth(n);
  std::vector<double> mal_a(n), mal_b(n);
  std::vector<bool> is_malignant(classes);
  for (std::size_t c = 0; c < classes; ++c)
    is_malignant[c] = std::find(ref.malignant.begin(), ref.malignant.end(), ref.labels[c]) != ref.malignant.end();
  for (std::size_t k = 0; k < n; ++k) {
    const ScoredItem& a = ref.scored[pairs[k].first];
    const ScoredItem& b = other.scored[pairs[k].second];
    truth[k] = a.truth;
    pred_a[k] = top1(a.probabilities);
    pred_b[k] = top1(b.probabilities);
    const bool right_a = pred_a[k] == std::size_t(a.truth), right_b = pred_b[k] == std::size_t(a.truth);
    only_a += right_a && !right_b;
    only_b += !right_a && right_b;
    malignant_truth[k] = is_malignant[std::size_t(a.truth)];
    for (std::size_t c = 0; c < classes; ++c)
      if (is_malignant[c]) mal_a[k] += a.probabilities[c], mal_b[k] += b.probabilities[c];
  }
  json out = {{"model", model_label(other_report)},
              {"reference", model_label(ref_report)},
              {"paired_images", n},
              {"mcnemar",
               {{"right_only_in_reference", only_a},
                {"right_only_in_model", only_b},
                {"p_value", mcnemar_exact_p(only_a, only_b)}}},
              {"delong_malignant", nullptr}};
  if (!ref.malignant.empty())
    if (auto t = delong_paired_test(malignant_truth, mal_a, mal_b))
      out["delong_malignant"] = {
          {"auc_reference", t->auc_a}, {"auc_model", t->auc_b}, {"z", t->z}, {"p_value", t->p_value}};

  // Paired bootstrap: the same resample for both models, drawn as the report's intervals are
  // (within each true class; whole clusters with --cluster-by), resample r from (seed, r).
  std::vector<std::size_t> all(n);
  for (std::size_t k = 0; k < n; ++k) all[k] = k;
  const double estimate =
      balanced_accuracy(truth, pred_b, all, classes) - balanced_accuracy(truth, pred_a, all, classes);
  json diff = {{"estimate", estimate},
               {"ci", nullptr},
               {"p_value", nullptr},
               {"resamples", options.bootstrap},
               {"unit", options.cluster_of.empty() ? "image" : options.cluster_by}};
  if (options.bootstrap > 0 && n > 0) {
    ScoreTable table;  // truth and clusters are all the resampling reads
    table.classes = classes;
    table.truth = truth;
    table.probabilities.assign(n * classes, 0.0);
    if (!options.cluster_of.empty()) {
      std::size_t next = options.cluster_of.size();  // ids without a cluster are their own
      for (std::size_t k = 0; k < n; ++k) {
        const auto it = options.cluster_of.find(ref.scored[pairs[k].first].id);
        table.cluster.push_back(it != options.cluster_of.end() ? it->second : next++);
      }
    }
    const SubsetMetrics resampler(table, all);
    std::vector<double> diffs;
    std::vector<std::size_t> rows;
    std::size_t not_above = 0, not_below = 0;
    for (int r = 0; r < options.bootstrap; ++r) {
      auto rng = resample_generator(options.seed * 1000003ULL + 17, std::size_t(r));
      const auto weights = resampler.resample(rng);
      rows.clear();
      for (std::size_t k = 0; k < n; ++k) rows.insert(rows.end(), weights[k], k);
      const double d =
          balanced_accuracy(truth, pred_b, rows, classes) - balanced_accuracy(truth, pred_a, rows, classes);
      diffs.push_back(d);
      not_above += d <= 0;
      not_below += d >= 0;
    }
    std::sort(diffs.begin(), diffs.end());
    auto quantile = [&](double q) {  // linear interpolation, as numpy's default percentile
      const double at = q * double(diffs.size() - 1);
      const std::size_t lo = std::size_t(std::floor(at)), hi = std::min(lo + 1, diffs.size() - 1);
      return diffs[lo] + (at - double(lo)) * (diffs[hi] - diffs[lo]);
    };
    diff["ci"] = {quantile(0.025), quantile(0.975)};
    // Two-sided bootstrap p-value: twice the smaller tail's share at zero, counted with the +1 of
    // a Monte Carlo p-value (never 0 from finitely many resamples), at most 1.
    diff["p_value"] = std::min(1.0, 2.0 * double(std::min(not_above, not_below) + 1) / double(options.bootstrap + 1));
  }
  out["balanced_accuracy_difference"] = diff;
  return out;
}

}  // namespace

void validate_leaderboard_options(const LeaderboardOptions& options) {
  const auto& names = report_metric_names();
  if (std::find(names.begin(), names.end(), options.sort_by) == names.end())
    throw Error(ErrorKind::usage,
                fmt::format("--sort-by '{}': unknown metric (use {})", options.sort_by, fmt::join(names, ", ")));
}

json leaderboard(const std::vector<json>& reports, const std::vector<Scoring>& scorings,
                 const LeaderboardOptions& options) {
  json rows = json::array();
  for (std::size_t k = 0; k < reports.size(); ++k) {
    const json& r = reports[k];
    const json& m = r["metrics"];
    const json intervals = r.value("confidence_intervals", json::object());
    const json& binary = r.value("binary", json());
    rows.push_back({{"model", model_label(r)},
                    {"index", k},
                    {"metric", m.value(options.sort_by, json())},
                    {"ci", intervals.value(options.sort_by, json())},
                    {"accuracy", m["accuracy"]},
                    {"balanced_accuracy", m["balanced_accuracy"]},
                    {"macro_auc", m["macro_auc"]},
                    {"ece", m["ece"]},
                    {"malignant_auc", binary.is_object() ? binary["auc"] : json()},
                    {"scored", r["dataset"]["scored"]}});
  }
  const bool ascending = lower_is_better(options.sort_by);
  std::vector<json> sorted(rows.begin(), rows.end());
  std::stable_sort(sorted.begin(), sorted.end(), [&](const json& a, const json& b) {
    if (!a["metric"].is_number()) return false;  // undefined values last
    if (!b["metric"].is_number()) return true;
    return ascending ? a["metric"].get<double>() < b["metric"].get<double>()
                     : a["metric"].get<double>() > b["metric"].get<double>();
  });
  for (std::size_t i = 0; i < sorted.size(); ++i) sorted[i]["rank"] = i + 1;
  json pairs = json::array();
  for (std::size_t k = 1; k < scorings.size(); ++k)
    pairs.push_back(pairwise(scorings[0], scorings[k], reports[0], reports[k], options));
  return {{"sort_by", options.sort_by},
          {"rows", sorted},
          {"pairwise", pairs},
          {"definitions",
           {{"rows", "sorted by sort_by (ascending for lower-is-better metrics); ci: the report's bootstrap interval"},
            {"pairwise", "each model against the first, on the images both scored"},
            {"mcnemar", "exact two-sided binomial test on the images exactly one of the two classified right"},
            {"delong_malignant",
             "DeLong's paired test of the summed malignant probability's AUC (treats images as independent, "
             "also with --cluster-by)"},
            {"balanced_accuracy_difference",
             "model minus reference; percentile interval and two-sided p-value (2 x (smaller tail + 1) / "
             "(resamples + 1)) from a paired bootstrap, the same images resampled for both within each true class "
             "(whole clusters with --cluster-by: unit)"}}}};
}

std::string leaderboard_text(const json& board) {
  std::string out = fmt::format("{:>4}  {:<32} {:>17} {:>18} {:>8} {:>8} {:>8} {:>8}\n", "rank", "model",
                                board["sort_by"].get<std::string>(), "95% CI", "acc", "bal_acc", "auc", "ece");
  for (const auto& r : board["rows"])
    out += fmt::format("{:>4}  {:<32} {:>17} {:>18} {:>8} {:>8} {:>8} {:>8}\n", r["rank"].get<int>(),
                       r["model"].get<std::string>().substr(0, 32), num_text(r["metric"]), ci_text(r["ci"]),
                       num_text(r["accuracy"]), num_text(r["balanced_accuracy"]), num_text(r["macro_auc"]),
                       num_text(r["ece"]));
  if (!board["pairwise"].empty()) {
    out += fmt::format("\nagainst {} (paired images):\n", board["pairwise"][0]["reference"].get<std::string>());
    for (const auto& p : board["pairwise"]) {
      const json& d = p["balanced_accuracy_difference"];
      out += fmt::format(
          "  {}: n = {}, balanced accuracy {:+.4f} {} p = {}; McNemar p = {:.4g}; malignant AUC DeLong {}\n",
          p["model"].get<std::string>(), p["paired_images"].get<std::size_t>(), d["estimate"].get<double>(),
          ci_text(d["ci"]), d["p_value"].is_number() ? fmt::format("{:.4g}", d["p_value"].get<double>()) : "-",
          p["mcnemar"]["p_value"].get<double>(),
          p["delong_malignant"].is_object() ? fmt::format("p = {:.4g}", p["delong_malignant"]["p_value"].get<double>())
                                            : "-");
    }
  }
  return out;
}

std::string leaderboard_markdown(const json& board) {
  std::string md = fmt::format("## skinscan leaderboard (sorted by {})\n\n", board["sort_by"].get<std::string>());
  md +=
      "| rank | model | metric | 95% CI | accuracy | balanced accuracy | macro AUC | ECE | malignant AUC |\n"
      "|---:|---|---:|---|---:|---:|---:|---:|---:|\n";
  for (const auto& r : board["rows"])
    md += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", r["rank"].get<int>(),
                      r["model"].get<std::string>(), num_text(r["metric"]), ci_text(r["ci"]), num_text(r["accuracy"]),
                      num_text(r["balanced_accuracy"]), num_text(r["macro_auc"]), num_text(r["ece"]),
                      num_text(r["malignant_auc"]));
  if (!board["pairwise"].empty()) {
    md += fmt::format(
        "\n### Against {}\n\n| model | images | balanced accuracy change | 95% CI | p | McNemar p | "
        "malignant AUC DeLong p |\n|---|---:|---:|---|---:|---:|---:|\n",
        board["pairwise"][0]["reference"].get<std::string>());
    for (const auto& p : board["pairwise"]) {
      const json& d = p["balanced_accuracy_difference"];
      md += fmt::format("| {} | {} | {:+.4f} | {} | {} | {:.4g} | {} |\n", p["model"].get<std::string>(),
                        p["paired_images"].get<std::size_t>(), d["estimate"].get<double>(), ci_text(d["ci"]),
                        d["p_value"].is_number() ? fmt::format("{:.4g}", d["p_value"].get<double>()) : "-",
                        p["mcnemar"]["p_value"].get<double>(),
                        p["delong_malignant"].is_object()
                            ? fmt::format("{:.4g}", p["delong_malignant"]["p_value"].get<double>())
                            : "-");
    }
  }
  return md;
}

}  // namespace skin
