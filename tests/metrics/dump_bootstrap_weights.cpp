// dump_bootstrap_weights: the weights of every resample that skinscan's bootstrap draws, for
// check_cluster_bootstrap.py to recompute each resample's metrics with scikit-learn.
// Reads ROWS.csv (rows: true class index, cluster index or -1 for none, one probability per
// class), prints JSON {"clusters": n, "stratified": bool, "weights": [[per row], ...]}.
// Usage: dump_bootstrap_weights ROWS.csv RESAMPLES SEED
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "skin/evaluation/subset_metrics.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: dump_bootstrap_weights ROWS.csv RESAMPLES SEED\n");
    return 2;
  }
  skin::ScoreTable table;
  std::ifstream in(argv[1]);
  std::string line;
  bool clustered = false;
  while (std::getline(in, line)) {
    std::stringstream fields(line);
    std::string field;
    std::getline(fields, field, ',');
    table.truth.push_back(std::stoi(field));
    std::getline(fields, field, ',');
    const long cluster = std::stol(field);
    clustered = clustered || cluster >= 0;
    table.cluster.push_back(cluster >= 0 ? std::size_t(cluster) : 1000000 + table.truth.size());
    std::size_t classes = 0;
    while (std::getline(fields, field, ',')) table.probabilities.push_back(std::stod(field)), ++classes;
    table.classes = classes;
  }
  if (!clustered) table.cluster.clear();
  std::vector<std::size_t> rows(table.size());
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  const skin::SubsetMetrics subset(table, rows);
  const nlohmann::json out = {{"clusters", subset.cluster_count()},
                              {"stratified", clustered ? subset.clusters_stratified() : true},
                              {"weights", skin::bootstrap_weights(subset, std::stoi(argv[2]), std::stoull(argv[3]))}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
