// classifier_test.cpp: model loading, contract checks and probabilities (skin/model/classifier.hpp).
#include "skin/model/classifier.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <thread>

#include <ATen/Parallel.h>
#include <doctest/doctest.h>

#include "skin/core/error.hpp"
#include "support.hpp"

namespace {
std::string model_load_error(const std::string& dir) {
  return test::error_of([&] { skin::Classifier c(dir); }, skin::ErrorKind::model);
}
}  // namespace

TEST_CASE("7-class and 2-class models load and give probabilities summing to 1") {
  for (const char* name : {"tiny7", "tiny2"}) {
    CAPTURE(name);
    skin::Classifier c(test::model(name));
    std::vector<float> inputs(c.input_size() * 3);
    for (std::size_t i = 0; i < inputs.size(); ++i) inputs[i] = float(std::sin(double(i)));
    auto probs = c.predict(inputs.data(), 3);
    REQUIRE(probs.size() == 3 * c.num_classes());
    for (std::size_t row = 0; row < 3; ++row) {
      double sum =
          std::accumulate(probs.begin() + row * c.num_classes(), probs.begin() + (row + 1) * c.num_classes(), 0.0);
      CHECK(sum == doctest::Approx(1.0).epsilon(1e-6));
    }
  }
}

TEST_CASE("predict_in_batches gives predict's probabilities, in order, for any batch size") {
  skin::Classifier c(test::model("tiny7"));
  std::vector<float> inputs(c.input_size() * 5);
  for (std::size_t i = 0; i < inputs.size(); ++i) inputs[i] = float(std::sin(0.37 * double(i)));
  const std::vector<float> whole = c.predict(inputs.data(), 5);
  for (std::size_t batch : {std::size_t(1), std::size_t(2), std::size_t(5), std::size_t(8)}) {
    CAPTURE(batch);
    const std::vector<float> parts = c.predict_in_batches(inputs.data(), 5, batch);
    REQUIRE(parts.size() == whole.size());
    for (std::size_t i = 0; i < whole.size(); ++i) CHECK(parts[i] == doctest::Approx(whole[i]).epsilon(1e-6));
  }
}

TEST_CASE("temperature divides logits before the softmax") {
  skin::Manifest m;
  m.labels = {"a", "b"};
  m.temperature = 2.0;
  auto p = skin::scores_to_probabilities({0.0f, 2.0f}, 1, m);
  CHECK(p[1] == doctest::Approx(1.0 / (1.0 + std::exp(-1.0))).epsilon(1e-7));
  m.output_kind = skin::OutputKind::probabilities;
  auto q = skin::scores_to_probabilities({1.0f, 3.0f}, 1, m);
  CHECK(q[0] == doctest::Approx(0.25));
}

TEST_CASE("broken model directories are refused with a clear reason") {
  const std::string dir = test::fixtures() + "/models/";
  CHECK(model_load_error(dir + "label_mismatch") ==
        dir + "label_mismatch/model.pt: manifest says 9 labels, model outputs 7");
  CHECK(model_load_error(dir + "bad_json") == dir + "bad_json/manifest.json: invalid JSON at byte 31");
  CHECK(model_load_error(dir + "missing_model") == dir + "missing_model/model.pt: model file not found");
  CHECK(model_load_error(dir + "not_classifier") ==
        dir + "not_classifier/model.pt: model output is not a single tensor");
  CHECK(model_load_error(dir + "nowhere") == dir + "nowhere: model directory not found");
  CHECK(model_load_error(dir + "missing_method") ==
        dir + "missing_method/model.pt: manifest names method 'features' but the model does not export it");
  CHECK(model_load_error(dir + "truncated_model")
            .rfind(dir + "truncated_model/model.pt: not a loadable TorchScript model", 0) == 0);
  CHECK(model_load_error(dir + "wrong_input_size")
            .rfind(dir + "wrong_input_size/model.pt: forward pass failed on a 1x3x64x64 input", 0) == 0);
}

TEST_CASE("set_threads(0) follows OMP_NUM_THREADS when it is a positive number, else every core") {
  const char* saved = std::getenv("OMP_NUM_THREADS");
  const std::string restore = saved ? saved : "";
  ::setenv("OMP_NUM_THREADS", "1", 1);
  skin::set_threads(0);
  CHECK(at::get_num_threads() == 1);
  for (const char* bad : {"0", "-2", "two", ""}) {
    ::setenv("OMP_NUM_THREADS", bad, 1);
    skin::set_threads(0);
    CHECK(at::get_num_threads() == int(std::max(1u, std::thread::hardware_concurrency())));
  }
  ::unsetenv("OMP_NUM_THREADS");
  skin::set_threads(0);
  CHECK(at::get_num_threads() == int(std::max(1u, std::thread::hardware_concurrency())));
  skin::set_threads(1);
  CHECK(at::get_num_threads() == 1);
  if (saved) ::setenv("OMP_NUM_THREADS", restore.c_str(), 1);
  skin::set_threads(0);
}

namespace {
// Probabilities of the same inputs from one model directory loaded both ways.
void check_startups_agree(const std::string& dir) {
  skin::Classifier optimised(dir, skin::Startup::optimised);
  skin::Classifier quick(dir, skin::Startup::quick);
  CHECK(quick.load_timings().optimised == false);
  CHECK(quick.optimisation_warning().empty());
  const std::size_t n = 5, size = optimised.input_size();
  std::vector<float> inputs(n * size);
  for (std::size_t i = 0; i < inputs.size(); ++i) inputs[i] = float((i * 2654435761u) % 1000) / 250.0f - 2.0f;
  for (std::size_t count : {std::size_t(1), n}) {  // a new batch shape on the second call
    const auto a = optimised.predict(inputs.data(), count), b = quick.predict(inputs.data(), count);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(std::abs(a[i] - b[i]) <= 1e-5);
  }
}
}  // namespace

TEST_CASE("the quick startup skips the optimisation and gives the optimised probabilities to 1e-5") {
  check_startups_agree(test::model("tiny7"));
  skin::Classifier optimised(test::model("tiny7"));
  CHECK(optimised.load_timings().optimised);
  CHECK(optimised.load_timings().optimise_ms > 0);
  // The bundled model: MKLDNN convolutions and folded batch norm against the plain module.
  const char* source = std::getenv("SKINSCAN_SOURCE");
  if (source) check_startups_agree(std::string(source) + "/models/ham10000-skinnet");
}
