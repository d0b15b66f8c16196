// dump_paired_change: reads a CSV of id,clean_p0..p(k-1),changed_p0..p(k-1) (classes mel, nv, bcc,
// bkl; malignant: mel, bcc), writes the paired change at a threshold as JSON with the bootstrap's
// resample means, for check_paired_change.py.
// Usage: dump_paired_change CSV THRESHOLD RESAMPLES SEED
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "skin/evaluation/paired_change.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: dump_paired_change CSV THRESHOLD RESAMPLES SEED\n");
    return 2;
  }
  skin::Scoring clean, changed;
  clean.labels = changed.labels = {"mel", "nv", "bcc", "bkl"};
  clean.malignant = changed.malignant = {"mel", "bcc"};
  std::ifstream in(argv[1]);
  std::string line;
  while (std::getline(in, line)) {
    std::stringstream fields(line);
    std::string cell;
    skin::ScoredItem a, b;
    std::getline(fields, a.id, ',');
    b.id = a.id;
    for (int k = 0; k < 8 && std::getline(fields, cell, ','); ++k)
      (k < 4 ? a : b).probabilities.push_back(std::stod(cell));
    clean.scored.push_back(a);
    changed.scored.push_back(b);
  }
  const double threshold = std::stod(argv[2]);
  const int resamples = std::stoi(argv[3]);
  const std::uint64_t seed = std::stoull(argv[4]);
  const skin::PairedChange p = skin::paired_change(clean, changed, threshold, resamples, seed);
  nlohmann::json out = skin::paired_change_json(p);
  std::vector<double> differences;
  for (std::size_t i = 0; i < clean.scored.size(); ++i)
    differences.push_back(changed.scored[i].probabilities[0] + changed.scored[i].probabilities[2] -
                          clean.scored[i].probabilities[0] - clean.scored[i].probabilities[2]);
  out["resample_means"] = skin::paired_change_resample_means(differences, resamples, seed);
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
