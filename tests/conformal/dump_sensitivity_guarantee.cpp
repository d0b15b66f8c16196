// dump_sensitivity_guarantee: skinscan's guaranteed-sensitivity threshold and exact binomial
// intervals, for check_sensitivity_guarantee.py.
//   dump_sensitivity_guarantee fit SCORES.txt SENSITIVITY DELTA  -> {"threshold", "misses_allowed", "minimum"}
//   dump_sensitivity_guarantee cp K N LEVEL                     -> {"lower", "upper", "cdf"} (cdf: P(X <= K) at p =
//   K/N)
// SCORES.txt holds the malignant probabilities of the malignant calibration images, one per line.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "skin/core/binomial.hpp"
#include "skin/core/error.hpp"
#include "skin/model/sensitivity_guarantee.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: dump_sensitivity_guarantee fit SCORES.txt SENS DELTA | cp K N LEVEL\n");
    return 2;
  }
  const std::string mode = argv[1];
  try {
    if (mode == "fit") {
      std::vector<double> scores;
      std::ifstream in(argv[2]);
      for (double v; in >> v;) scores.push_back(v);
      const double s = std::stod(argv[3]), d = std::stod(argv[4]);
      const auto g = skin::fit_sensitivity_guarantee(scores, s, d);
      const nlohmann::json out = {{"threshold", g.threshold},
                                  {"misses_allowed", g.misses_allowed},
                                  {"minimum", skin::min_malignant_for_guarantee(s, d)}};
      std::printf("%s\n", out.dump().c_str());
    } else {
      const std::size_t k = std::stoul(argv[2]), n = std::stoul(argv[3]);
      const auto [lo, hi] = skin::clopper_pearson(k, n, std::stod(argv[4]));
      const nlohmann::json out = {
          {"lower", lo}, {"upper", hi}, {"cdf", skin::binomial_cdf(k, n, double(k) / double(n))}};
      std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict).c_str());
    }
  } catch (const skin::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
