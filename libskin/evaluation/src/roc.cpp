// roc.cpp: ROC curve, operating points, partial AUCs and thresholds.
#include "skin/evaluation/roc.hpp"

#include <algorithm>
#include <cstdlib>
#include <numeric>

#include <fmt/format.h>

#include "skin/core/error.hpp"

namespace skin {
namespace {

double trapezoid(const std::vector<double>& x, const std::vector<double>& y) {
  double area = 0;
  for (std::size_t i = 1; i < x.size(); ++i) area += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2;
  return area;
}

double interpolate(double x, double x0, double x1, double y0, double y1) {
  return x1 == x0 ? y1 : y0 + (y1 - y0) * (x - x0) / (x1 - x0);
}

// "sens=0.95" -> 0.95; Error(usage) unless it is a number in (0, 1].
double rule_level(const std::string& rule, std::size_t prefix) {
  const std::string value = rule.substr(prefix);
  char* end = nullptr;
  const double level = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || !(level > 0 && level <= 1))
    throw Error(ErrorKind::usage, fmt::format("threshold rule '{}': the level must be a number in (0, 1]", rule));
  return level;
}

}  // namespace

std::vector<RocPoint> roc_curve(const std::vector<bool>& positive, const std::vector<double>& score) {
  const std::size_t n = score.size();
  const double pos = double(std::count(positive.begin(), positive.end(), true)), neg = double(n) - pos;
  if (pos == 0 || neg == 0) return {};
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return score[a] > score[b]; });
  std::vector<RocPoint> curve{{std::nullopt, 0.0, 0.0}};
  double tp = 0, fp = 0;
  for (std::size_t i = 0; i < n; ++i) {
    positive[order[i]] ? ++tp : ++fp;
    if (i + 1 == n || score[order[i + 1]] != score[order[i]]) curve.push_back({score[order[i]], fp / neg, tp / pos});
  }
  return curve;
}

OperatingPoint sensitivity_at_specificity(const std::vector<RocPoint>& curve, double level) {
  OperatingPoint best{level, 0.0, 1.0, std::nullopt};
  for (const auto& p : curve)
    if (1 - p.fpr >= level - 1e-12 && p.tpr > best.sensitivity) best = {level, p.tpr, 1 - p.fpr, p.threshold};
  return best;
}

OperatingPoint specificity_at_sensitivity(const std::vector<RocPoint>& curve, double level) {
  // Along the curve specificity only falls, so the first point reaching the level is the best.
  for (const auto& p : curve)
    if (p.tpr >= level - 1e-12) return {level, p.tpr, 1 - p.fpr, p.threshold};
  return {level, 1.0, 0.0, curve.empty() ? std::nullopt : curve.back().threshold};
}

double pauc_above_sensitivity(const std::vector<RocPoint>& curve, double level) {
  // As the ISIC scorer: first index with tpr >= level (searchsorted, side left), a point
  // interpolated between it and its predecessor, then the trapezoidal area to the end.
  std::size_t k = 0;
  while (k < curve.size() && curve[k].tpr < level) ++k;
  if (k == 0 || k == curve.size()) return 0.0;
  std::vector<double> x{interpolate(level, curve[k - 1].tpr, curve[k].tpr, curve[k - 1].fpr, curve[k].fpr)};
  std::vector<double> y{level};
  for (std::size_t i = k; i < curve.size(); ++i) x.push_back(curve[i].fpr), y.push_back(curve[i].tpr);
  return trapezoid(x, y);
}

double partial_auc(const std::vector<RocPoint>& curve, double max_fpr) {
  std::vector<double> x, y;
  std::size_t stop = 0;
  while (stop < curve.size() && curve[stop].fpr <= max_fpr) {
    x.push_back(curve[stop].fpr), y.push_back(curve[stop].tpr);
    ++stop;
  }
  if (stop < curve.size()) {
    y.push_back(interpolate(max_fpr, curve[stop - 1].fpr, curve[stop].fpr, curve[stop - 1].tpr, curve[stop].tpr));
    x.push_back(max_fpr);
  } else {
    y.push_back(y.back()), x.push_back(max_fpr);
  }
  return trapezoid(x, y);
}

std::optional<double> pauc_above_tpr(const std::vector<bool>& positive, const std::vector<double>& score,
                                     double min_tpr) {
  std::vector<bool> flipped(positive.size());
  std::vector<double> negated(score.size());
  for (std::size_t i = 0; i < positive.size(); ++i) flipped[i] = !positive[i], negated[i] = -score[i];
  const auto curve = roc_curve(flipped, negated);
  if (curve.empty()) return std::nullopt;
  return partial_auc(curve, 1 - min_tpr);
}

double standardized_partial_auc(const std::vector<RocPoint>& curve, double max_fpr) {
  // As sklearn's _binary_roc_auc_score: the raw partial area, then McClish's correction.
  const double partial = partial_auc(curve, max_fpr), min_area = 0.5 * max_fpr * max_fpr, max_area = max_fpr;
  return 0.5 * (1 + (partial - min_area) / (max_area - min_area));
}

void validate_threshold_rule(const std::string& rule) {
  if (rule == "youden") return;
  if (rule.rfind("sens=", 0) == 0 || rule.rfind("spec=", 0) == 0) {
    rule_level(rule, 5);
    return;
  }
  throw Error(ErrorKind::usage, fmt::format("threshold rule '{}': use youden, sens=X or spec=X", rule));
}

std::optional<double> pick_threshold(const std::vector<RocPoint>& curve, const std::string& rule) {
  validate_threshold_rule(rule);
  if (curve.empty()) return std::nullopt;
  if (rule == "youden") {
    std::size_t best = 0;
    for (std::size_t i = 1; i < curve.size(); ++i)
      if (curve[i].tpr - curve[i].fpr > curve[best].tpr - curve[best].fpr) best = i;
    return curve[best].threshold;
  }
  const double level = rule_level(rule, 5);
  return rule.rfind("sens=", 0) == 0 ? specificity_at_sensitivity(curve, level).threshold
                                     : sensitivity_at_specificity(curve, level).threshold;
}

ThresholdMetrics metrics_at_threshold(const std::vector<bool>& positive, const std::vector<double>& score,
                                      double threshold) {
  ThresholdMetrics m;
  m.threshold = threshold;
  for (std::size_t i = 0; i < score.size(); ++i) {
    const bool called = score[i] >= threshold;
    if (positive[i])
      (called ? m.tp : m.fn)++;
    else
      (called ? m.fp : m.tn)++;
  }
  auto ratio = [](std::size_t a, std::size_t b) {
    return a + b ? std::optional<double>(double(a) / double(a + b)) : std::nullopt;
  };
  m.sensitivity = ratio(m.tp, m.fn);
  m.specificity = ratio(m.tn, m.fp);
  m.ppv = ratio(m.tp, m.fp);
  m.npv = ratio(m.tn, m.fn);
  return m;
}

}  // namespace skin
