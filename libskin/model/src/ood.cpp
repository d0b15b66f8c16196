// ood.cpp: MSP, energy and class-conditional Mahalanobis scores, their threshold and manifest section.
#include "skin/model/ood.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "skin/core/error.hpp"

namespace skin {

OodMethod parse_ood_method(const std::string& name) {
  for (OodMethod m : all_ood_methods())
    if (ood_method_name(m) == name) return m;
  throw Error(ErrorKind::usage, fmt::format("unknown OOD method '{}' (use msp, energy or mahalanobis)", name));
}

std::string ood_method_name(OodMethod method) {
  switch (method) {
    case OodMethod::msp:
      return "msp";
    case OodMethod::energy:
      return "energy";
    case OodMethod::mahalanobis:
      return "mahalanobis";
  }
  return "?";
}

const std::vector<OodMethod>& all_ood_methods() {
  static const std::vector<OodMethod> methods{OodMethod::msp, OodMethod::energy, OodMethod::mahalanobis};
  return methods;
}

double msp_score(const std::vector<float>& p) { return 1.0 - double(*std::max_element(p.begin(), p.end())); }

double energy_score(const std::vector<float>& logits) {
  const double top = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (float z : logits) sum += std::exp(double(z) - top);
  return -(top + std::log(sum));
}

double mahalanobis_score(const std::vector<float>& pooled, const OodReference& r) {
  double best = std::numeric_limits<double>::infinity();
  for (const auto& mean : r.class_means) {
    if (mean.empty()) continue;
    double d = 0;
    for (std::size_t c = 0; c < mean.size(); ++c) {
      const double diff = double(pooled[c]) - mean[c];
      d += diff * diff / r.variance[c];
    }
    best = std::min(best, d);
  }
  return best;
}

std::optional<double> ood_score(OodMethod method, const std::vector<float>& probabilities,
                                const std::vector<float>& logits, bool logits_are_logits,
                                const std::vector<float>& pooled, const OodReference* reference) {
  switch (method) {
    case OodMethod::msp:
      if (probabilities.empty()) return std::nullopt;
      return msp_score(probabilities);
    case OodMethod::energy:
      if (!logits_are_logits || logits.empty()) return std::nullopt;
      return energy_score(logits);
    case OodMethod::mahalanobis:
      if (!reference || reference->class_means.empty() || pooled.size() != reference->variance.size())
        return std::nullopt;
      return mahalanobis_score(pooled, *reference);
  }
  return std::nullopt;
}

void fit_class_gaussians(OodReference& r, const std::vector<std::vector<float>>& pooled, const std::vector<int>& truth,
                         std::size_t classes) {
  if (pooled.empty()) throw Error(ErrorKind::usage, "no pooled features to fit class means on");
  const std::size_t dims = pooled[0].size();
  std::vector<std::vector<double>> sum(classes, std::vector<double>(dims, 0.0));
  std::vector<std::size_t> count(classes, 0);
  for (std::size_t i = 0; i < pooled.size(); ++i) {
    const auto k = std::size_t(truth[i]);
    ++count[k];
    for (std::size_t c = 0; c < dims; ++c) sum[k][c] += pooled[i][c];
  }
  r.class_means.assign(classes, {});
  for (std::size_t k = 0; k < classes; ++k)
    if (count[k] > 0) {
      r.class_means[k] = sum[k];
      for (double& v : r.class_means[k]) v /= double(count[k]);
    }
  // Within-class variance, pooled over classes (one diagonal covariance for all), with a floor so
  // that a channel that never varies cannot dominate the distance.
  std::vector<double> ss(dims, 0.0);
  for (std::size_t i = 0; i < pooled.size(); ++i) {
    const auto& mean = r.class_means[std::size_t(truth[i])];
    for (std::size_t c = 0; c < dims; ++c) ss[c] += (pooled[i][c] - mean[c]) * (pooled[i][c] - mean[c]);
  }
  const std::size_t used = std::size_t(std::count_if(count.begin(), count.end(), [](std::size_t n) { return n > 0; }));
  const double dof = std::max(1.0, double(pooled.size()) - double(used));
  r.variance.assign(dims, 0.0);
  for (std::size_t c = 0; c < dims; ++c) r.variance[c] = ss[c] / dof;
  std::vector<double> sorted = r.variance;
  std::sort(sorted.begin(), sorted.end());
  const double floor = std::max(1e-3 * sorted[sorted.size() / 2], 1e-12);
  for (double& v : r.variance) v = std::max(v, floor);
}

double ood_threshold(std::vector<double> scores, double tpr) {
  if (scores.empty()) throw Error(ErrorKind::usage, "no in-distribution images to set the OOD threshold on");
  if (!(tpr > 0 && tpr < 1))
    throw Error(ErrorKind::usage, fmt::format("OOD TPR {} must lie strictly between 0 and 1", tpr));
  std::sort(scores.begin(), scores.end());
  const auto rank = std::size_t(std::ceil(tpr * double(scores.size()) - 1e-9));
  return scores[std::max<std::size_t>(rank, 1) - 1];
}

nlohmann::json ood_json(const OodReference& r) {
  nlohmann::json j = {{"method", ood_method_name(r.method)},
                      {"threshold", r.threshold},
                      {"tpr", r.tpr},
                      {"definition", "score > threshold: flagged as unlike the in-distribution calibration images"},
                      {"record", r.record}};
  if (!r.class_means.empty()) {
    j["class_means"] = r.class_means;
    j["variance"] = r.variance;
  }
  return j;
}

OodReference parse_ood(const nlohmann::json& s, std::size_t classes, const std::string& source) {
  auto fail = [&](const std::string& why) { throw Error(ErrorKind::model, fmt::format("{}: 'ood' {}", source, why)); };
  if (!s.is_object()) fail("must be an object");
  OodReference r;
  try {
    r.method = parse_ood_method(s.value("method", ""));
  } catch (const Error&) {
    fail("'method' must be msp, energy or mahalanobis");
  }
  if (!s.contains("threshold") || !s["threshold"].is_number()) fail("'threshold' must be a number");
  r.threshold = s["threshold"].get<double>();
  r.tpr = s.value("tpr", 0.95);
  r.record = s.value("record", nlohmann::json::object());
  if (s.contains("class_means")) {
    if (!s["class_means"].is_array() || s["class_means"].size() != classes)
      fail(fmt::format("'class_means' must hold one array per class ({})", classes));
    if (!s.contains("variance") || !s["variance"].is_array() || s["variance"].empty())
      fail("'variance' must be a non-empty array");
    for (const auto& v : s["variance"]) {
      if (!v.is_number() || !(v.get<double>() > 0)) fail("'variance' values must be positive numbers");
      r.variance.push_back(v.get<double>());
    }
    for (const auto& mean : s["class_means"]) {
      if (!mean.is_array() || (!mean.empty() && mean.size() != r.variance.size()))
        fail("every class mean must be empty or as long as 'variance'");
      std::vector<double> m;
      for (const auto& v : mean) {
        if (!v.is_number()) fail("class means must be numbers");
        m.push_back(v.get<double>());
      }
      r.class_means.push_back(std::move(m));
    }
  }
  if (r.method == OodMethod::mahalanobis && r.class_means.empty())
    fail("mahalanobis needs 'class_means' and 'variance'");
  return r;
}

}  // namespace skin
