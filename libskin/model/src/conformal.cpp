// conformal.cpp: split conformal prediction sets (LAC, APS, RAPS; marginal or Mondrian).
#include "skin/model/conformal.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "skin/core/error.hpp"

namespace skin {

ConformalMethod parse_conformal_method(const std::string& name) {
  if (name == "lac") return ConformalMethod::lac;
  if (name == "aps") return ConformalMethod::aps;
  if (name == "raps") return ConformalMethod::raps;
  throw Error(ErrorKind::usage, fmt::format("conformal method '{}': use lac, aps or raps", name));
}

std::string conformal_method_name(ConformalMethod method) {
  switch (method) {
    case ConformalMethod::lac:
      return "lac";
    case ConformalMethod::aps:
      return "aps";
    case ConformalMethod::raps:
      return "raps";
  }
  return "lac";
}

namespace {

void check_alpha(double alpha) {
  if (!(alpha > 0 && alpha < 1))
    throw Error(ErrorKind::usage, fmt::format("conformal alpha {} must lie strictly between 0 and 1", alpha));
}

// ceil((n + 1)(1 - alpha)), guarded against floating-point noise just above an integer.
std::size_t quantile_rank(std::size_t n, double alpha) {
  return std::size_t(std::ceil(double(n + 1) * (1 - alpha) - 1e-9));
}

}  // namespace

std::size_t min_calibration_size(double alpha) {
  check_alpha(alpha);
  std::size_t n = 1;
  while (quantile_rank(n, alpha) > n) ++n;
  return n;
}

double conformal_quantile(std::vector<double> scores, double alpha) {
  check_alpha(alpha);
  const std::size_t n = scores.size(), rank = quantile_rank(n, alpha);
  if (rank > n)
    throw Error(ErrorKind::usage, fmt::format("{} calibration images are too few for alpha {}: at least {} are needed",
                                              n, alpha, min_calibration_size(alpha)));
  std::nth_element(scores.begin(), scores.begin() + std::ptrdiff_t(rank - 1), scores.end());
  return scores[rank - 1];
}

std::vector<double> conformal_scores(const std::vector<double>& p, const ConformalSpec& spec) {
  std::vector<double> s(p.size());
  if (spec.method == ConformalMethod::lac) {
    for (std::size_t k = 0; k < p.size(); ++k) s[k] = 1 - p[k];
    return s;
  }
  // Classes by decreasing probability (ties: lower index first, as a stable sort gives).
  std::vector<std::size_t> order(p.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] > p[b]; });
  double mass = 0;
  for (std::size_t r = 0; r < order.size(); ++r) {
    mass += p[order[r]];
    double penalty = 0;
    if (spec.method == ConformalMethod::raps)  // lambda for every rank beyond k_reg, accumulated
      penalty = spec.lambda * double(std::max<std::ptrdiff_t>(0, std::ptrdiff_t(r + 1) - spec.k_reg));
    s[order[r]] = mass + penalty;
  }
  return s;
}

void fit_conformal(ConformalSpec& spec, const std::vector<std::vector<double>>& probabilities,
                   const std::vector<int>& truth, std::size_t classes) {
  check_alpha(spec.alpha);
  if (spec.method == ConformalMethod::raps && (spec.lambda < 0 || spec.k_reg < 0))
    throw Error(ErrorKind::usage, "raps needs lambda >= 0 and k_reg >= 0");
  std::vector<std::vector<double>> scores(spec.mondrian ? classes : 1);
  for (std::size_t i = 0; i < probabilities.size(); ++i)
    scores[spec.mondrian ? std::size_t(truth[i]) : 0].push_back(
        conformal_scores(probabilities[i], spec)[std::size_t(truth[i])]);
  spec.qhat.clear();
  nlohmann::json sizes = nlohmann::json::array();
  for (std::size_t g = 0; g < scores.size(); ++g) {
    try {
      spec.qhat.push_back(conformal_quantile(scores[g], spec.alpha));
    } catch (const Error& e) {
      if (!spec.mondrian) throw;
      throw Error(ErrorKind::usage, fmt::format("class {}: {} (Mondrian needs that many of every class)", g, e.what()));
    }
    sizes.push_back(scores[g].size());
  }
  spec.record["calibration_images"] = probabilities.size();
  if (spec.mondrian) spec.record["calibration_images_per_class"] = sizes;
}

std::vector<std::size_t> prediction_set(const std::vector<double>& p, const ConformalSpec& spec) {
  const std::vector<double> s = conformal_scores(p, spec);
  std::vector<std::size_t> set;
  for (std::size_t k = 0; k < p.size(); ++k)
    if (s[k] <= spec.qhat[spec.mondrian ? k : 0]) set.push_back(k);
  if (spec.method != ConformalMethod::lac) {
    // APS and RAPS never return an empty set: the top class joins when its own mass is above the
    // quantile (RAPS's disallow_zero_sets; coverage can only rise). An empty LAC set stays empty:
    // no class is plausible enough.
    const auto top = std::size_t(std::max_element(p.begin(), p.end()) - p.begin());
    if (std::find(set.begin(), set.end(), top) == set.end()) set.push_back(top);
  }
  std::stable_sort(set.begin(), set.end(), [&](std::size_t a, std::size_t b) { return p[a] > p[b]; });
  return set;
}

nlohmann::json conformal_json(const ConformalSpec& spec) {
  nlohmann::json j = {{"method", conformal_method_name(spec.method)},
                      {"alpha", spec.alpha},
                      {"mondrian", spec.mondrian},
                      {"qhat", spec.qhat},
                      {"record", spec.record}};
  if (spec.method == ConformalMethod::raps) j["k_reg"] = spec.k_reg, j["lambda"] = spec.lambda;
  return j;
}

ConformalSpec parse_conformal(const nlohmann::json& c, std::size_t classes, const std::string& source) {
  auto fail = [&](const std::string& what) {
    throw Error(ErrorKind::model, fmt::format("{}: 'conformal' {}", source, what));
  };
  if (!c.is_object()) fail("must be an object");
  ConformalSpec spec;
  try {
    spec.method = parse_conformal_method(c.at("method").get<std::string>());
    spec.alpha = c.at("alpha").get<double>();
    spec.mondrian = c.value("mondrian", false);
    spec.qhat = c.at("qhat").get<std::vector<double>>();
    spec.k_reg = c.value("k_reg", 1);
    spec.lambda = c.value("lambda", 0.0);
    spec.record = c.value("record", nlohmann::json::object());
  } catch (const nlohmann::json::exception&) {
    fail("needs method (lac, aps, raps), alpha and qhat");
  } catch (const Error&) {
    fail("has an unknown method (use lac, aps or raps)");
  }
  if (!(spec.alpha > 0 && spec.alpha < 1)) fail("alpha must lie strictly between 0 and 1");
  if (spec.qhat.size() != (spec.mondrian ? classes : 1))
    fail(fmt::format("qhat must hold {} value(s)", spec.mondrian ? classes : 1));
  return spec;
}

}  // namespace skin
