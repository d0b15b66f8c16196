// calibration.cpp: temperature fitting.
#include "skin/json_text.hpp"
#include "skin/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace skin {

std::vector<double> softmax_with_temperature(const std::vector<double>& logits, std::size_t c, double t) {
  std::vector<double> p(logits.size());
  for (std::size_t i = 0; i + c <= logits.size(); i += c) {
    double mx = *std::max_element(logits.begin() + std::ptrdiff_t(i), logits.begin() + std::ptrdiff_t(i + c)), sum = 0;
    for (std::size_t k = i; k < i + c; ++k) sum += p[k] = std::exp((logits[k] - mx) / t);
    for (std::size_t k = i; k < i + c; ++k) p[k] /= sum;
  }
  return p;
}

double temperature_nll(const std::vector<double>& logits, const std::vector<int>& truth, std::size_t c, double t) {
  if (truth.empty() || logits.size() != truth.size() * c) throw std::invalid_argument("logits do not match labels");
  double total = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    const double* row = logits.data() + i * c;
    double mx = *std::max_element(row, row + c) / t, sum = 0;
    for (std::size_t k = 0; k < c; ++k) sum += std::exp(row[k] / t - mx);
    total += mx + std::log(sum) - row[truth[i]] / t;
  }
  return total / double(truth.size());
}

double fit_temperature(const std::vector<double>& logits, const std::vector<int>& truth, std::size_t c) {
  const double phi = (std::sqrt(5.0) - 1) / 2;
  double lo = std::log(0.05), hi = std::log(20.0);
  double a = hi - phi * (hi - lo), b = lo + phi * (hi - lo);
  double fa = temperature_nll(logits, truth, c, std::exp(a)), fb = temperature_nll(logits, truth, c, std::exp(b));
  while (hi - lo > 1e-9) {
    if (fa < fb) {
      hi = b, b = a, fb = fa;
      a = hi - phi * (hi - lo);
      fa = temperature_nll(logits, truth, c, std::exp(a));
    } else {
      lo = a, a = b, fa = fb;
      b = lo + phi * (hi - lo);
      fb = temperature_nll(logits, truth, c, std::exp(b));
    }
  }
  return std::exp((lo + hi) / 2);
}

}  // namespace skin

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "skin/error.hpp"
#include "skin/output_file.hpp"

namespace skin {

void save_with_temperature(const std::string& from, const std::string& to, double temperature,
                           const nlohmann::json& record, bool overwrite) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::equivalent(from, to, ec))
    throw Error(ErrorKind::usage, fmt::format("{}: output directory is the input model; choose another", to));
  if (fs::exists(fs::path(to) / "manifest.json") && !overwrite)
    throw Error(ErrorKind::usage, fmt::format("{}: already holds a model (use --force to replace it)", to));
  std::ifstream in(fs::path(from) / "manifest.json");
  nlohmann::json manifest;
  try {
    manifest = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    throw Error(ErrorKind::model, fmt::format("{}/manifest.json: invalid JSON", from));
  }
  fs::create_directories(to, ec);
  if (ec) throw Error(ErrorKind::io, fmt::format("{}: cannot create directory ({})", to, ec.message()));
  const auto model_tmp = fs::path(to) / "model.pt.partial";
  fs::copy_file(fs::path(from) / "model.pt", model_tmp, fs::copy_options::overwrite_existing, ec);
  if (ec) throw Error(ErrorKind::io, fmt::format("{}: cannot copy model.pt ({})", to, ec.message()));
  fs::rename(model_tmp, fs::path(to) / "model.pt", ec);
  if (ec) throw Error(ErrorKind::io, fmt::format("{}: cannot move model.pt into place ({})", to, ec.message()));
  manifest["output"]["temperature"] = temperature;
  manifest["provenance"]["calibration"] = record;
  write_file_atomically((fs::path(to) / "manifest.json").string(), json_text(manifest, 2) + "\n");
}

}  // namespace skin
