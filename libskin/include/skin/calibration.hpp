// skin/calibration.hpp: temperature scaling (Guo et al. 2017): one scalar T > 0 dividing the
// logits, fitted to minimise the negative log-likelihood on held-out labelled data.
#pragma once
#include <vector>

namespace skin {

// softmax(logits / T) row by row; `logits` holds rows of `classes` values.
std::vector<double> softmax_with_temperature(const std::vector<double>& logits, std::size_t classes, double t);

// Mean NLL of softmax(logits / T) for the true classes. `logits` holds truth.size() rows.
double temperature_nll(const std::vector<double>& logits, const std::vector<int>& truth, std::size_t classes, double t);

// The T in [0.05, 20] minimising temperature_nll: golden-section search on log T (the NLL is
// convex in 1/T, hence unimodal in log T), to a relative precision of about 1e-9.
double fit_temperature(const std::vector<double>& logits, const std::vector<int>& truth, std::size_t classes);

}  // namespace skin
