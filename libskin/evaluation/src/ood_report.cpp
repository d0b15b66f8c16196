// ood_report.cpp: scoring both sides with every OOD method, and their separation.
#include "skin/evaluation/ood_report.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include <fmt/format.h>

#include "skin/model/ood.hpp"

namespace skin {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

std::vector<double> finite(const std::vector<double>& v) {
  std::vector<double> out;
  for (double x : v)
    if (!std::isnan(x)) out.push_back(x);
  return out;
}

}  // namespace

std::vector<double> all_ood_scores(const std::vector<float>& probabilities, const std::vector<float>& logits,
                                   bool logits_are_logits, const std::vector<float>& pooled,
                                   const OodReference* reference) {
  std::vector<double> out;
  for (OodMethod m : all_ood_methods())
    out.push_back(ood_score(m, probabilities, logits, logits_are_logits, pooled, reference).value_or(kNan));
  return out;
}

OodScores ood_scores_of(const Scoring& scoring, const Classifier& classifier) {
  const Manifest& m = classifier.manifest();
  const OodReference* reference = m.ood ? &*m.ood : nullptr;
  OodScores out;
  out.by_method.assign(all_ood_methods().size(), {});
  for (const auto& item : scoring.scored) {
    const std::vector<float> p(item.probabilities.begin(), item.probabilities.end());
    const std::vector<float> z(item.scores.begin(), item.scores.end());
    const auto scores = all_ood_scores(p, z, m.output_kind == OutputKind::logits, item.pooled, reference);
    for (std::size_t k = 0; k < scores.size(); ++k) out.by_method[k].push_back(scores[k]);
  }
  out.images = scoring.scored.size();
  out.failed = scoring.failed.size();
  return out;
}

OodScores ood_scores_of_folder(const std::string& folder, Classifier& classifier, const PipelineOptions& options,
                               const std::function<void(const PipelineStats&)>& progress) {
  const Manifest& m = classifier.manifest();
  const OodReference* reference = m.ood ? &*m.ood : nullptr;
  InputSource source({folder});
  OodScores out;
  out.by_method.assign(all_ood_methods().size(), {});
  classify_stream(
      source, classifier, options,
      [&](Prediction&& p) {
        if (!p.ok()) {
          ++out.failed;
          out.errors.push_back(p.error);
          return;
        }
        ++out.images;
        const auto scores = all_ood_scores(p.probabilities, p.scores, m.output_kind == OutputKind::logits,
                                           p.pooled_features, reference);
        for (std::size_t k = 0; k < scores.size(); ++k) out.by_method[k].push_back(scores[k]);
      },
      progress);
  return out;
}

OodSeparation ood_separation(const std::vector<double>& id, const std::vector<double>& ood) {
  OodSeparation s;
  s.in_distribution = id.size();
  s.out_of_distribution = ood.size();
  if (id.empty() || ood.empty()) return s;
  // Mann-Whitney over the merged, sorted scores: P(ood score > id score) + half the ties.
  std::vector<std::pair<double, bool>> all;  // score, is OOD
  for (double x : id) all.push_back({x, false});
  for (double x : ood) all.push_back({x, true});
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  double below_id = 0, wins = 0;
  for (std::size_t a = 0; a < all.size();) {
    std::size_t b = a;
    double n_id = 0, n_ood = 0;
    while (b < all.size() && all[b].first == all[a].first) (all[b].second ? n_ood : n_id) += 1, ++b;
    wins += n_ood * (below_id + 0.5 * n_id);
    below_id += n_id;
    a = b;
  }
  s.auroc = wins / (double(id.size()) * double(ood.size()));
  std::vector<double> sorted = id;
  std::sort(sorted.begin(), sorted.end());
  const double threshold = sorted[std::size_t(std::ceil(0.95 * double(sorted.size()) - 1e-9)) - 1];
  s.fpr_at_95_tpr =
      double(std::count_if(ood.begin(), ood.end(), [&](double x) { return x <= threshold; })) / double(ood.size());
  return s;
}

nlohmann::json ood_report(const OodScores& id, const OodScores& ood, const std::string& folder,
                          const Classifier& classifier) {
  if (ood.images == 0)
    return {{"folder", folder},
            {"ood_images", 0},
            {"ood_failed", ood.failed},
            {"error", fmt::format("{}: no image in the OOD folder could be scored ({} failed)", folder, ood.failed)}};
  nlohmann::json methods = nlohmann::json::object();
  for (std::size_t k = 0; k < all_ood_methods().size(); ++k) {
    const auto a = finite(id.by_method[k]), b = finite(ood.by_method[k]);
    const std::string name = ood_method_name(all_ood_methods()[k]);
    if (a.empty() || b.empty()) {
      methods[name] = {{"auroc", nullptr},
                       {"fpr_at_95_tpr", nullptr},
                       {"why_missing", name == "mahalanobis" ? "the model has no OOD class means (calibrate --ood)"
                                                             : "the model outputs probabilities, not logits"}};
      continue;
    }
    const OodSeparation s = ood_separation(a, b);
    methods[name] = {{"auroc", *s.auroc}, {"fpr_at_95_tpr", *s.fpr_at_95_tpr}};
  }
  nlohmann::json out = {{"folder", folder},
                        {"in_distribution_images", id.images},
                        {"ood_images", ood.images},
                        {"ood_failed", ood.failed},
                        {"methods", methods},
                        {"definition",
                         "scores: higher = less like the training data. auroc: OOD images as positives. "
                         "fpr_at_95_tpr: share of OOD images at or below the score that 95% of in-distribution "
                         "images stay at or below (accepted as in-distribution)"}};
  if (const auto& ref = classifier.manifest().ood) {
    const std::size_t k = std::size_t(std::find(all_ood_methods().begin(), all_ood_methods().end(), ref->method) -
                                      all_ood_methods().begin());
    auto flagged_share = [&](const std::vector<double>& v) -> nlohmann::json {
      const auto f = finite(v);
      if (f.empty()) return nullptr;
      return double(std::count_if(f.begin(), f.end(), [&](double x) { return x > ref->threshold; })) / double(f.size());
    };
    out["model_flag"] = {{"method", ood_method_name(ref->method)},
                         {"threshold", ref->threshold},
                         {"in_distribution_flagged", flagged_share(id.by_method[k])},
                         {"ood_flagged", flagged_share(ood.by_method[k])}};
  }
  return out;
}

}  // namespace skin
