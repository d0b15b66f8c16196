// skin/evaluation/calibration.hpp: temperature scaling (Guo et al. 2017): one scalar T > 0 dividing the
// logits, fitted to minimise the negative log-likelihood on held-out labelled data.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "skin/evaluation/scoring.hpp"

namespace skin {

// softmax(logits / T) row by row; `logits` holds rows of `classes` values.
std::vector<double> softmax_with_temperature(const std::vector<double>& logits, std::size_t classes, double t);

// Mean NLL of softmax(logits / T) for the true classes. `logits` holds truth.size() rows.
double temperature_nll(const std::vector<double>& logits, const std::vector<int>& truth, std::size_t classes, double t);

// The T in [0.05, 20] minimising temperature_nll: golden-section search on log T (the NLL is
// convex in 1/T, hence unimodal in log T), to a relative precision of about 1e-9.
double fit_temperature(const std::vector<double>& logits, const std::vector<int>& truth, std::size_t classes);

// Temperature scaling of a model scored on labelled data (score_with_model: the items' raw
// logits): the fitted T, and NLL / ECE before (at the model's current T) and after.
struct TemperatureFit {
  double temperature_before = 1, temperature = 1;
  double nll_before = 0, nll_after = 0, ece_before = 0, ece_after = 0;
  std::size_t images = 0;
  // The manifest's `calibration` record: the numbers above, the method and skinscan's version.
  // `data`, `layout` and `split` (null when empty) say what it was fitted on.
  nlohmann::json record(const std::string& data, const std::string& layout, const std::string& split) const;
};
// Error(usage) when fewer than 2 items were scored or an item has no raw logits.
TemperatureFit calibrate(const Scoring& scoring, double current_temperature);

}  // namespace skin
