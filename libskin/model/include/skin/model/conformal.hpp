// skin/model/conformal.hpp: split conformal prediction sets (Angelopoulos & Bates, "A gentle
// introduction to conformal prediction", 2021): a set of classes that holds the true one with
// probability >= 1 - alpha over exchangeable data, from a quantile of nonconformity scores on a
// labelled calibration set. Deterministic (non-randomised) scores, the same at calibration and at
// prediction, so the guarantee holds as stated (sets are slightly larger than randomised ones):
//   lac   s(x, k) = 1 - p_k                                  (Sadinle et al. 2019)
//   aps   s(x, k) = mass of the classes ranked at or above k (Romano et al. 2020)
//   raps  aps + lambda * max(0, rank(k) - k_reg), rank 1-based (Angelopoulos et al. 2021)
// The quantile is the ceil((n + 1)(1 - alpha))-th smallest of the n calibration scores (the
// finite-sample correction); the set is {k : s(x, k) <= qhat}, and for APS and RAPS also the top
// class when that set would be empty (RAPS's disallow_zero_sets). Mondrian (class-conditional):
// one quantile per class from that class's calibration images, so coverage holds per class.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace skin {

enum class ConformalMethod { lac, aps, raps };

ConformalMethod parse_conformal_method(const std::string& name);  // Error(usage) naming the choices
std::string conformal_method_name(ConformalMethod method);

struct ConformalSpec {
  ConformalMethod method = ConformalMethod::lac;
  double alpha = 0.1;
  bool mondrian = false;
  std::vector<double> qhat;                          // one quantile, or one per class (mondrian)
  int k_reg = 1;                                     // raps
  double lambda = 0.0;                               // raps
  nlohmann::json record = nlohmann::json::object();  // calibration set, sizes, date
};

// The smallest calibration set for which the finite-sample quantile exists: ceil((1-alpha)/alpha).
std::size_t min_calibration_size(double alpha);

// The ceil((n + 1)(1 - alpha))-th smallest score; Error(usage) naming the minimum when n is too
// small and for alpha outside (0, 1).
double conformal_quantile(std::vector<double> scores, double alpha);

// s(x, k) for every class k of one row of probabilities.
std::vector<double> conformal_scores(const std::vector<double>& probabilities, const ConformalSpec& spec);

// Fits the quantile(s) of `spec` (method, alpha, mondrian, k_reg, lambda set) on `probabilities`
// (rows) with true classes `truth`; fills spec.qhat and spec.record's sizes.
void fit_conformal(ConformalSpec& spec, const std::vector<std::vector<double>>& probabilities,
                   const std::vector<int>& truth, std::size_t classes);

// The classes in the set, in order of decreasing probability.
std::vector<std::size_t> prediction_set(const std::vector<double>& probabilities, const ConformalSpec& spec);

nlohmann::json conformal_json(const ConformalSpec& spec);  // the manifest's "conformal" section
ConformalSpec parse_conformal(const nlohmann::json& section, std::size_t classes, const std::string& source);

}  // namespace skin
