// metrics.cpp: metric computations; each is checked against scikit-learn in tests/metrics.
#include "skin/evaluation/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include <fmt/format.h>

#include "skin/core/error.hpp"

namespace skin {

std::size_t argmax_row(const double* row, std::size_t c) {
  return std::size_t(std::max_element(row, row + c) - row);  // first maximum on ties, like numpy
}

// Index of the equal-width bin (lo, hi] holding `conf`; the ceil is corrected at the edges so
// membership is exactly lo < conf <= hi whatever the rounding.
int calibration_bin(double conf, int nbins) {
  int b = std::clamp(int(std::ceil(conf * nbins)) - 1, 0, nbins - 1);
  while (b > 0 && conf <= double(b) / nbins) --b;
  while (b < nbins - 1 && conf > double(b + 1) / nbins) ++b;
  return b;
}

double percentile(std::vector<double> v, double q) {  // numpy's default (linear) interpolation
  std::sort(v.begin(), v.end());
  double pos = q * double(v.size() - 1);
  auto lo = std::size_t(std::floor(pos));
  auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - double(lo));
}

namespace {

double safe_div(double a, double b) { return b > 0 ? a / b : 0.0; }

struct Calibration {
  double ece = 0, mce = 0;
  std::vector<CalibrationBin> bins;
};

// Top-label calibration over the given sample indices.
Calibration calibrate(const std::vector<int>& truth, const std::vector<double>& probs, std::size_t c,
                      const std::vector<std::size_t>& index, int nbins) {
  Calibration cal;
  cal.bins.resize(std::size_t(nbins));
  std::vector<double> conf_sum(nbins, 0), acc_sum(nbins, 0);
  for (std::size_t i : index) {
    const double* row = probs.data() + i * c;
    std::size_t pred = argmax_row(row, c);
    double conf = row[pred];
    const int b = calibration_bin(conf, nbins);
    cal.bins[b].count++;
    conf_sum[b] += conf;
    acc_sum[b] += (int(pred) == truth[i]);
  }
  for (int b = 0; b < nbins; ++b) {
    auto& bin = cal.bins[b];
    bin.lower = double(b) / nbins;
    bin.upper = double(b + 1) / nbins;
    if (!bin.count) continue;
    bin.confidence = conf_sum[b] / bin.count;
    bin.accuracy = acc_sum[b] / bin.count;
    double gap = std::abs(bin.accuracy - bin.confidence);
    cal.ece += gap * bin.count / double(index.size());
    cal.mce = std::max(cal.mce, gap);
  }
  return cal;
}

struct Averages {
  double accuracy = 0, balanced_accuracy = 0, macro_precision = 0, macro_recall = 0, macro_f1 = 0;
  double weighted_precision = 0, weighted_recall = 0, weighted_f1 = 0;
};

Averages averages(const std::vector<std::vector<std::size_t>>& cm, std::size_t n,
                  std::vector<ClassMetrics>* per_class) {
  const std::size_t c = cm.size();
  Averages a;
  std::size_t correct = 0, present = 0, in_truth = 0;
  for (std::size_t k = 0; k < c; ++k) {
    std::size_t tp = cm[k][k], support = 0, predicted = 0;
    for (std::size_t j = 0; j < c; ++j) {
      support += cm[k][j];
      predicted += cm[j][k];
    }
    correct += tp;
    double precision = safe_div(tp, predicted), recall = safe_div(tp, support);
    double f1 = safe_div(2.0 * tp, double(support + predicted));
    if (support > 0) {
      ++in_truth;
      a.balanced_accuracy += recall;
    }
    if (support > 0 || predicted > 0) {
      ++present;
      a.macro_precision += precision;
      a.macro_recall += recall;
      a.macro_f1 += f1;
    }
    a.weighted_precision += precision * support;
    a.weighted_recall += recall * support;
    a.weighted_f1 += f1 * support;
    if (per_class) {
      auto& m = (*per_class)[k];
      m.support = support;
      m.predicted = predicted;
      m.precision = precision;
      m.recall = recall;
      m.f1 = f1;
      std::size_t negatives = n - support, fp = predicted - tp;
      m.specificity = safe_div(double(negatives - fp), double(negatives));
    }
  }
  a.accuracy = safe_div(correct, n);
  a.balanced_accuracy = safe_div(a.balanced_accuracy, in_truth);
  a.macro_precision = safe_div(a.macro_precision, present);
  a.macro_recall = safe_div(a.macro_recall, present);
  a.macro_f1 = safe_div(a.macro_f1, present);
  a.weighted_precision = safe_div(a.weighted_precision, n);
  a.weighted_recall = safe_div(a.weighted_recall, n);
  a.weighted_f1 = safe_div(a.weighted_f1, n);
  return a;
}

std::vector<std::vector<std::size_t>> confusion(const std::vector<int>& truth, const std::vector<double>& probs,
                                                std::size_t c, const std::vector<std::size_t>& index) {
  std::vector<std::vector<std::size_t>> cm(c, std::vector<std::size_t>(c, 0));
  for (std::size_t i : index) cm[std::size_t(truth[i])][argmax_row(probs.data() + i * c, c)]++;
  return cm;
}

}  // namespace

std::optional<double> roc_auc(const std::vector<bool>& positive, const std::vector<double>& score) {
  // Mann-Whitney U with average ranks for ties: equals the trapezoidal ROC area.
  const std::size_t n = score.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return score[a] < score[b]; });
  double rank_sum = 0;
  std::size_t pos = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && score[order[j]] == score[order[i]]) ++j;
    double avg_rank = (double(i + 1) + double(j)) / 2.0;
    for (std::size_t k = i; k < j; ++k)
      if (positive[order[k]]) rank_sum += avg_rank, ++pos;
    i = j;
  }
  std::size_t neg = n - pos;
  if (pos == 0 || neg == 0) return std::nullopt;
  return (rank_sum - double(pos) * double(pos + 1) / 2.0) / (double(pos) * double(neg));
}

std::optional<double> average_precision(const std::vector<bool>& positive, const std::vector<double>& score) {
  // sklearn: sum over distinct thresholds (descending) of (R_n - R_{n-1}) * P_n.
  const std::size_t n = score.size();
  std::size_t total_pos = std::count(positive.begin(), positive.end(), true);
  if (total_pos == 0) return std::nullopt;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return score[a] > score[b]; });
  double ap = 0, prev_recall = 0;
  std::size_t tp = 0, seen = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && score[order[j]] == score[order[i]]) {
      tp += positive[order[j]];
      ++j;
    }
    seen = j;
    double recall = double(tp) / double(total_pos), precision = double(tp) / double(seen);
    ap += (recall - prev_recall) * precision;
    prev_recall = recall;
    i = j;
  }
  return ap;
}

BinaryMetrics binary_metrics(const std::vector<bool>& positive, const std::vector<double>& score, double threshold) {
  BinaryMetrics b;
  b.threshold = threshold;
  std::size_t tp = 0, tn = 0;
  for (std::size_t i = 0; i < score.size(); ++i) {
    bool predicted = score[i] >= threshold;
    if (positive[i]) {
      ++b.positives;
      tp += predicted;
    } else {
      ++b.negatives;
      tn += !predicted;
    }
  }
  b.sensitivity = safe_div(tp, b.positives);
  b.specificity = safe_div(tn, b.negatives);
  b.auc = roc_auc(positive, score);
  return b;
}

Metrics compute_metrics(const std::vector<int>& truth, const std::vector<double>& probs,
                        const std::vector<std::string>& labels, int nbins) {
  const std::size_t n = truth.size(), c = labels.size();
  if (n == 0) throw Error(ErrorKind::input, "metrics: no samples to score");
  if (probs.size() != n * c)
    throw Error(ErrorKind::input,
                fmt::format("metrics: {} probabilities do not form {} rows of {} classes", probs.size(), n, c));
  for (int t : truth)
    if (t < 0 || std::size_t(t) >= c)
      throw Error(ErrorKind::input, fmt::format("metrics: true class {} is not one of the {} classes", t, c));
  Metrics m;
  std::vector<std::size_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  m.confusion = confusion(truth, probs, c, all);
  m.per_class.resize(c);
  for (std::size_t k = 0; k < c; ++k) m.per_class[k].label = labels[k];
  Averages a = averages(m.confusion, n, &m.per_class);
  m.accuracy = a.accuracy;
  m.balanced_accuracy = a.balanced_accuracy;
  m.macro_precision = a.macro_precision;
  m.macro_recall = a.macro_recall;
  m.macro_f1 = a.macro_f1;
  m.weighted_precision = a.weighted_precision;
  m.weighted_recall = a.weighted_recall;
  m.weighted_f1 = a.weighted_f1;

  // Cohen's kappa from the confusion matrix; undefined when chance agreement is 1.
  double pe = 0;
  for (std::size_t k = 0; k < c; ++k)
    pe += double(m.per_class[k].support) * double(m.per_class[k].predicted) / (double(n) * double(n));
  if (pe < 1) m.kappa = (a.accuracy - pe) / (1 - pe);

  for (int k : {2, 3}) {
    if (std::size_t(k) >= c) continue;
    std::size_t hits = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double* row = probs.data() + i * c;
      std::size_t t = std::size_t(truth[i]), ahead = 0;
      for (std::size_t j = 0; j < c; ++j)
        if (row[j] > row[t] || (row[j] == row[t] && j > t)) ++ahead;
      hits += ahead < std::size_t(k);
    }
    m.top_k_accuracy[k] = double(hits) / double(n);
  }

  double auc_sum = 0;
  int auc_count = 0;
  std::vector<bool> positive(n);
  std::vector<double> score(n);
  for (std::size_t k = 0; k < c; ++k) {
    for (std::size_t i = 0; i < n; ++i) {
      positive[i] = std::size_t(truth[i]) == k;
      score[i] = probs[i * c + k];
    }
    m.per_class[k].auc = roc_auc(positive, score);
    m.per_class[k].average_precision = average_precision(positive, score);
    if (m.per_class[k].auc) auc_sum += *m.per_class[k].auc, ++auc_count;
  }
  if (auc_count) m.macro_auc = auc_sum / auc_count;

  // Brier: mean over samples of the squared distance to the one-hot truth. NLL: like sklearn's
  // log_loss, probabilities clipped to [eps, 1 - eps] and rows renormalised.
  const double eps = std::numeric_limits<double>::epsilon();
  for (std::size_t i = 0; i < n; ++i) {
    const double* row = probs.data() + i * c;
    double row_sum = 0;
    for (std::size_t j = 0; j < c; ++j) {
      double d = row[j] - (std::size_t(truth[i]) == j ? 1.0 : 0.0);
      m.brier += d * d;
      row_sum += std::clamp(row[j], eps, 1 - eps);
    }
    m.nll -= std::log(std::clamp(row[truth[i]], eps, 1 - eps) / row_sum);
  }
  m.brier /= double(n);
  m.nll /= double(n);

  Calibration cal = calibrate(truth, probs, c, all, nbins);
  m.ece = cal.ece;
  m.mce = cal.mce;
  m.calibration = std::move(cal.bins);
  return m;
}

}  // namespace skin
