// pipeline_test.cpp: streaming classification keeps order, records failures, and agrees with
// direct batch inference (skin/inference/pipeline.hpp).
#include "skin/inference/pipeline.hpp"

#include <doctest/doctest.h>

#include "skin/model/preprocess.hpp"
#include "support.hpp"

namespace {
std::vector<std::string> mixed_inputs() {
  std::vector<std::string> in;
  for (int i = 0; i < 7; ++i) {
    in.push_back(test::image("good/plain.png"));
    in.push_back(test::image("bad/empty.jpg"));
    in.push_back(test::image("good/baseline.jpg"));
  }
  return in;
}
}  // namespace

TEST_CASE("results come out in input order with failures in place, whatever the batch and thread counts") {
  skin::Classifier c(test::model("tiny7"));
  const auto inputs = mixed_inputs();
  for (std::size_t batch : {1u, 2u, 5u, 64u}) {
    for (int threads : {1, 3}) {
      CAPTURE(batch);
      CAPTURE(threads);
      skin::InputSource source(inputs);
      skin::PipelineOptions o;
      o.batch_size = batch;
      o.decode_threads = threads;
      o.window = 3;
      std::vector<skin::Prediction> out;
      auto stats = skin::classify_stream(source, c, o, [&](skin::Prediction&& p) { out.push_back(std::move(p)); });
      REQUIRE(out.size() == inputs.size());
      CHECK(stats.total == inputs.size());
      CHECK(stats.failed == 7);
      for (std::size_t i = 0; i < inputs.size(); ++i) {
        CHECK(out[i].path == inputs[i]);
        CHECK(out[i].ok() == (i % 3 != 1));
        if (out[i].ok()) CHECK(out[i].probabilities.size() == 7);
      }
    }
  }
}

TEST_CASE("pipeline probabilities equal a direct forward pass of the same image") {
  skin::Classifier c(test::model("tiny2"));
  cv::Mat img = skin::load_image(test::image("good/plain.png"), {});
  std::vector<float> input(c.input_size());
  skin::preprocess_into(img, c.manifest().input, input.data());
  auto direct = c.predict(input.data(), 1);
  skin::InputSource source({test::image("good/plain.png")});
  std::vector<float> streamed;
  skin::classify_stream(source, c, {}, [&](skin::Prediction&& p) { streamed = p.probabilities; });
  REQUIRE(streamed.size() == direct.size());
  for (std::size_t i = 0; i < direct.size(); ++i) CHECK(streamed[i] == doctest::Approx(direct[i]).epsilon(1e-6));
}

TEST_CASE("a stop flag ends the run early and says so") {
  skin::Classifier c(test::model("tiny7"));
  std::atomic<bool> stop{false};
  skin::InputSource source(mixed_inputs());
  skin::PipelineOptions o;
  o.batch_size = 2;
  o.stop = &stop;
  std::size_t seen = 0;
  auto stats = skin::classify_stream(source, c, o, [&](skin::Prediction&&) {
    if (++seen == 2) stop = true;
  });
  CHECK(stats.interrupted);
  CHECK(stats.total < mixed_inputs().size());
}
