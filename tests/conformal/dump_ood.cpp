// dump_ood: skinscan's per-image OOD scores, class Gaussians, threshold and separation, for
// check_ood.py. Reads FIT.csv (rows: true class, then pooled features) and SCORE.csv (rows: side
// 0 = in-distribution / 1 = OOD, K probabilities, K logits, then pooled features); prints JSON
// {"variance", "class_means", "scores": [[msp, energy, mahalanobis] per row], "threshold" (energy
// at TPR 0.95 over the in-distribution rows), "separation": {method: [auroc, fpr95]}}.
// Usage: dump_ood FIT.csv SCORE.csv CLASSES
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "skin/evaluation/ood_report.hpp"
#include "skin/model/ood.hpp"

namespace {

std::vector<std::vector<double>> read_rows(const std::string& path) {
  std::vector<std::vector<double>> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::stringstream fields(line);
    std::vector<double> row;
    for (std::string field; std::getline(fields, field, ',');) row.push_back(std::stod(field));
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: dump_ood FIT.csv SCORE.csv CLASSES\n");
    return 2;
  }
  const std::size_t k = std::stoul(argv[3]);
  skin::OodReference ref;
  ref.method = skin::OodMethod::mahalanobis;
  std::vector<std::vector<float>> pooled;
  std::vector<int> truth;
  for (const auto& row : read_rows(argv[1])) {
    truth.push_back(int(row[0]));
    pooled.emplace_back(row.begin() + 1, row.end());
  }
  skin::fit_class_gaussians(ref, pooled, truth, k);
  nlohmann::json scores = nlohmann::json::array();
  std::vector<std::vector<double>> id(3), ood(3);
  for (const auto& row : read_rows(argv[2])) {
    const std::vector<float> p(row.begin() + 1, row.begin() + 1 + long(k)),
        z(row.begin() + 1 + long(k), row.begin() + 1 + 2 * long(k)), f(row.begin() + 1 + 2 * long(k), row.end());
    const auto s = skin::all_ood_scores(p, z, true, f, &ref);
    scores.push_back(s);
    for (std::size_t m = 0; m < 3; ++m) (row[0] == 0 ? id : ood)[m].push_back(s[m]);
  }
  nlohmann::json separation = nlohmann::json::object();
  for (std::size_t m = 0; m < 3; ++m) {
    const auto sep = skin::ood_separation(id[m], ood[m]);
    separation[skin::ood_method_name(skin::all_ood_methods()[m])] = {*sep.auroc, *sep.fpr_at_95_tpr};
  }
  const nlohmann::json out = {{"variance", ref.variance},
                              {"class_means", ref.class_means},
                              {"scores", scores},
                              {"threshold", skin::ood_threshold(id[1], 0.95)},
                              {"separation", separation}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
