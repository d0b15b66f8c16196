// dump_conformal: skinscan's conformal quantile and prediction sets for check_conformal.py.
// Reads CAL.csv and TEST.csv (rows: true class index, then one probability per class), fits
// METHOD at ALPHA on CAL, prints JSON {"qhat": [...], "sets": [[class indices], ...]} for TEST.
// Usage: dump_conformal CAL.csv TEST.csv METHOD ALPHA MONDRIAN(0|1) K_REG LAMBDA
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "skin/core/error.hpp"
#include "skin/core/json_text.hpp"
#include "skin/model/conformal.hpp"

namespace {

void read_rows(const std::string& path, std::vector<int>& truth, std::vector<std::vector<double>>& probabilities) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::stringstream fields(line);
    std::string field;
    std::getline(fields, field, ',');
    truth.push_back(std::stoi(field));
    probabilities.emplace_back();
    while (std::getline(fields, field, ',')) probabilities.back().push_back(std::stod(field));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: dump_conformal CAL.csv TEST.csv METHOD ALPHA MONDRIAN K_REG LAMBDA\n");
    return 2;
  }
  std::vector<int> cal_truth, test_truth;
  std::vector<std::vector<double>> cal, test;
  read_rows(argv[1], cal_truth, cal);
  read_rows(argv[2], test_truth, test);
  skin::ConformalSpec spec;
  try {
    spec.method = skin::parse_conformal_method(argv[3]);
    spec.alpha = std::stod(argv[4]);
    spec.mondrian = std::string(argv[5]) == "1";
    spec.k_reg = std::stoi(argv[6]);
    spec.lambda = std::stod(argv[7]);
    skin::fit_conformal(spec, cal, cal_truth, cal.empty() ? 0 : cal[0].size());
  } catch (const skin::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  nlohmann::json sets = nlohmann::json::array();
  for (const auto& p : test) sets.push_back(skin::prediction_set(p, spec));
  nlohmann::json qhat = nlohmann::json::array();
  for (double q : spec.qhat) qhat.push_back(q);
  std::printf("%s\n", skin::json_text({{"qhat", qhat}, {"sets", sets}}).c_str());
  return 0;
}
