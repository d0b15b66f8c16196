// delong.cpp: DeLong AUC variance and the paired test, via midranks (Sun & Xu 2014).
#include "skin/evaluation/delong.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace skin {
namespace {

// Midranks (1-based, ties averaged) of `v`.
std::vector<double> midranks(const std::vector<double>& v) {
  const std::size_t n = v.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  std::vector<double> rank(n);
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && v[order[j]] == v[order[i]]) ++j;
    for (std::size_t k = i; k < j; ++k) rank[order[k]] = (double(i + 1) + double(j)) / 2.0;
    i = j;
  }
  return rank;
}

// The structural components: V10 (one per positive: the share of negatives it outranks, ties
// half) and V01 (one per negative: the share of positives that outrank it).
struct Components {
  std::vector<double> v10, v01;
  double auc = 0;
};

Components components(const std::vector<double>& x, const std::vector<double>& y) {
  const double m = double(x.size()), n = double(y.size());
  std::vector<double> z(x);
  z.insert(z.end(), y.begin(), y.end());
  const auto tx = midranks(x), ty = midranks(y), tz = midranks(z);
  Components c;
  for (std::size_t i = 0; i < x.size(); ++i) c.v10.push_back((tz[i] - tx[i]) / n);
  for (std::size_t j = 0; j < y.size(); ++j) c.v01.push_back(1.0 - (tz[x.size() + j] - ty[j]) / m);
  c.auc = std::accumulate(c.v10.begin(), c.v10.end(), 0.0) / m;
  return c;
}

// Sample covariance (n - 1 denominator); 0 for fewer than two values.
double covariance(const std::vector<double>& a, const std::vector<double>& b) {
  const std::size_t n = a.size();
  if (n < 2) return 0.0;
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / double(n);
  const double mb = std::accumulate(b.begin(), b.end(), 0.0) / double(n);
  double s = 0;
  for (std::size_t i = 0; i < n; ++i) s += (a[i] - ma) * (b[i] - mb);
  return s / double(n - 1);
}

void split(const std::vector<bool>& positive, const std::vector<double>& score, std::vector<double>& x,
           std::vector<double>& y) {
  for (std::size_t i = 0; i < score.size(); ++i) (positive[i] ? x : y).push_back(score[i]);
}

double normal_quantile(double p) {
  // Acklam's rational approximation refined by one Halley step: |error| < 1e-15.
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  double x;
  if (p < 0.02425) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p > 1 - 0.02425) {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

}  // namespace

std::optional<DelongAuc> delong_auc(const std::vector<bool>& positive, const std::vector<double>& score, double level) {
  std::vector<double> x, y;
  split(positive, score, x, y);
  if (x.size() < 2 || y.size() < 2) return std::nullopt;  // a sample variance needs two values per side
  const Components c = components(x, y);
  DelongAuc out;
  out.auc = c.auc;
  out.variance = covariance(c.v10, c.v10) / double(x.size()) + covariance(c.v01, c.v01) / double(y.size());
  const double half = normal_quantile(1 - (1 - level) / 2) * std::sqrt(out.variance);
  out.lower = std::max(0.0, out.auc - half);
  out.upper = std::min(1.0, out.auc + half);
  return out;
}

std::optional<DelongTest> delong_paired_test(const std::vector<bool>& positive, const std::vector<double>& score_a,
                                             const std::vector<double>& score_b) {
  std::vector<double> xa, ya, xb, yb;
  split(positive, score_a, xa, ya);
  split(positive, score_b, xb, yb);
  if (xa.size() < 2 || ya.size() < 2) return std::nullopt;
  const Components a = components(xa, ya), b = components(xb, yb);
  const double m = double(xa.size()), n = double(ya.size());
  const double var = (covariance(a.v10, a.v10) + covariance(b.v10, b.v10) - 2 * covariance(a.v10, b.v10)) / m +
                     (covariance(a.v01, a.v01) + covariance(b.v01, b.v01) - 2 * covariance(a.v01, b.v01)) / n;
  DelongTest t;
  t.auc_a = a.auc;
  t.auc_b = b.auc;
  if (var > 0) {
    t.z = (a.auc - b.auc) / std::sqrt(var);
    t.p_value = std::erfc(std::abs(t.z) / std::sqrt(2.0));
  } else {
    t.z = 0;
    t.p_value = a.auc == b.auc ? 1.0 : 0.0;
  }
  return t;
}

}  // namespace skin
