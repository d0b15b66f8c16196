// optimisation_fallback_test.cpp: a model that TorchScript's freezing rejects still loads and runs,
// unoptimised, with a one-line warning (skin/model/classifier.hpp). A file of its own so that the
// sanitizer stage can leave it out: LibTorch 1.13 leaks the interface types of the fixture (an
// interface-typed submodule; loading it is enough, LeakSanitizer reports only LibTorch frames);
// everything else of the classifier runs there.
#include <cmath>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "skin/model/classifier.hpp"
#include "support.hpp"

TEST_CASE("a model that the optimisation rejects runs unoptimised, with a warning naming the file and the reason") {
  // The fixture reassigns an interface-typed submodule in forward, which freezing refuses.
  const std::string dir = test::model("unfreezable");
  skin::Classifier fallback(dir, skin::Startup::optimised);
  CHECK_FALSE(fallback.load_timings().optimised);
  const std::string& warning = fallback.optimisation_warning();
  CHECK(warning.find(dir + "/model.pt: the inference optimisation failed, running the unoptimised model (slower): ") ==
        0);
  CHECK(warning.find("freeze") != std::string::npos);
  CHECK(warning.find('\n') == std::string::npos);
  // The plain module's probabilities: the same as the quick startup's, which never optimises.
  skin::Classifier quick(dir, skin::Startup::quick);
  CHECK(quick.optimisation_warning().empty());
  std::vector<float> inputs(2 * quick.input_size());
  for (std::size_t i = 0; i < inputs.size(); ++i) inputs[i] = float(std::cos(double(i)));
  const auto a = fallback.predict(inputs.data(), 2), b = quick.predict(inputs.data(), 2);
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(std::abs(a[i] - b[i]) <= 1e-6);
}
