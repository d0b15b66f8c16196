// pipeline_test.cpp: streaming classification keeps order, records failures, and agrees with
// direct batch inference (skin/inference/pipeline.hpp).
#include "skin/inference/pipeline.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include <doctest/doctest.h>

#include "skin/core/error.hpp"
#include "skin/model/manifest.hpp"
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

TEST_CASE("the adaptive rule pauses decoding only when it is cheap against the forward pass") {
  CHECK(skin::decode_pauses_forward(2.4, 20.0));          // full-size JPEGs and the bundled model on 2 cores
  CHECK(skin::decode_pauses_forward(0.0, 0.001));         // nothing to decode: never worth overlapping
  CHECK_FALSE(skin::decode_pauses_forward(5.0, 20.0));    // a quarter of the forward pass: overlap
  CHECK_FALSE(skin::decode_pauses_forward(100.0, 16.0));  // a large PNG: decoding is the bottleneck
  CHECK_FALSE(skin::decode_pauses_forward(1.0, 0.0));     // no forward time measured
}

TEST_CASE("paused, overlapping or adaptive decoding give the same results, and the profile counts the pauses") {
  skin::Classifier c(test::model("tiny7"));
  const auto inputs = mixed_inputs();  // 21 items, 14 decodable: 7 batches of 2
  std::vector<std::vector<skin::Prediction>> outs;
  std::vector<skin::PipelineStats> stats;
  for (auto overlap : {skin::DecodeOverlap::always, skin::DecodeOverlap::never, skin::DecodeOverlap::adaptive}) {
    skin::InputSource source(inputs);
    skin::PipelineOptions o;
    o.batch_size = 2;
    o.overlap = overlap;
    outs.emplace_back();
    stats.push_back(
        skin::classify_stream(source, c, o, [&](skin::Prediction&& p) { outs.back().push_back(std::move(p)); }));
  }
  CHECK(stats[0].batches == 7);
  CHECK(stats[0].paused_batches == 0);
  CHECK(stats[1].batches == 7);
  CHECK(stats[1].paused_batches == 7);
  for (std::size_t k = 1; k < outs.size(); ++k) {
    REQUIRE(outs[k].size() == outs[0].size());
    for (std::size_t i = 0; i < outs[0].size(); ++i) {
      CHECK(outs[k][i].error == outs[0][i].error);
      CHECK(outs[k][i].probabilities == outs[0][i].probabilities);
    }
  }
  // The bundled model's forward pass on one thread costs milliseconds per image on any machine, a
  // small PNG's decoding a fraction of one: every pass after the first (which has no forward time
  // to go by) is paused.
  const char* project = std::getenv("SKINSCAN_SOURCE");
  if (!project) return;
  skin::Classifier bundled(std::string(project) + "/models/ham10000-skinnet");
  std::vector<std::string> small(32, test::image("good/plain.png"));
  skin::InputSource source(small);
  skin::set_threads(1);
  const auto adaptive = skin::classify_stream(source, bundled, {}, [](skin::Prediction&&) {});
  skin::set_threads(0);  // back to the default
  CHECK(adaptive.batches == 4);
  CHECK(adaptive.paused_batches == 3);
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

namespace {
struct StreamRun {
  std::vector<skin::Prediction> out;
  skin::PipelineStats stats;
};

StreamRun run_streams(skin::Classifier& c, const std::vector<std::string>& inputs, skin::PipelineOptions o) {
  StreamRun run;
  skin::InputSource source(inputs);
  run.stats = skin::classify_stream(source, c, o, [&](skin::Prediction&& p) { run.out.push_back(std::move(p)); });
  return run;
}
}  // namespace

TEST_CASE("forward streams give one stream's results in input order, failures in place") {
  skin::Classifier c(test::model("tiny7"));
  const auto inputs = mixed_inputs();  // 21 items, 14 decodable
  for (std::size_t batch : {1u, 2u, 5u}) {
    skin::PipelineOptions o;
    o.batch_size = batch;
    const StreamRun one = run_streams(c, inputs, o);
    for (int streams : {2, 3}) {
      for (auto overlap : {skin::DecodeOverlap::adaptive, skin::DecodeOverlap::never}) {
        for (int decode_threads : {1, 3}) {
          CAPTURE(batch);
          CAPTURE(streams);
          CAPTURE(decode_threads);
          o.forward_streams = streams;
          o.overlap = overlap;
          o.decode_threads = decode_threads;
          o.window = 3;
          const StreamRun many = run_streams(c, inputs, o);
          CHECK(many.stats.forward_streams == streams);
          CHECK(many.stats.total == inputs.size());
          CHECK(many.stats.failed == 7);
          CHECK(many.stats.batches == one.stats.batches);
          CHECK(many.stats.paused_batches == (overlap == skin::DecodeOverlap::never ? many.stats.batches : 0));
          CHECK_FALSE(many.stats.interrupted);
          REQUIRE(many.out.size() == inputs.size());
          for (std::size_t i = 0; i < inputs.size(); ++i) {
            CHECK(many.out[i].path == inputs[i]);
            CHECK(many.out[i].error == one.out[i].error);
            REQUIRE(many.out[i].probabilities.size() == one.out[i].probabilities.size());
            for (std::size_t k = 0; k < one.out[i].probabilities.size(); ++k)
              CHECK(many.out[i].probabilities[k] == doctest::Approx(one.out[i].probabilities[k]).epsilon(1e-6));
          }
        }
      }
    }
  }
}

TEST_CASE("forward streams: a stop flag writes every batch taken, in order, and says so") {
  skin::Classifier c(test::model("tiny7"));
  std::atomic<bool> stop{false};
  // Enough input that the streams cannot have taken it all by the time the second result is
  // written (they take batches only as the decode workers' window lets them).
  std::vector<std::string> inputs;
  for (int i = 0; i < 20; ++i)
    for (const auto& path : mixed_inputs()) inputs.push_back(path);
  skin::InputSource source(inputs);
  skin::PipelineOptions o;
  o.batch_size = 2;
  o.forward_streams = 2;
  o.stop = &stop;
  std::vector<std::string> paths;
  auto stats = skin::classify_stream(source, c, o, [&](skin::Prediction&& p) {
    paths.push_back(p.path);
    if (paths.size() == 2) stop = true;
  });
  CHECK(stats.interrupted);
  CHECK(stats.total == paths.size());
  CHECK(paths.size() < inputs.size());
  for (std::size_t i = 0; i < paths.size(); ++i) CHECK(paths[i] == inputs[i]);
}

TEST_CASE("forward streams: a failing sink stops the run and its error comes out") {
  skin::Classifier c(test::model("tiny7"));
  std::vector<std::string> many(200, test::image("good/plain.png"));
  skin::InputSource source(many);
  skin::PipelineOptions o;
  o.batch_size = 2;
  o.forward_streams = 2;
  std::size_t seen = 0;
  CHECK_THROWS_WITH_AS(skin::classify_stream(source, c, o,
                                             [&](skin::Prediction&&) {
                                               if (++seen == 3) throw skin::Error(skin::ErrorKind::io, "disk full");
                                             }),
                       "disk full", skin::Error);
  CHECK(seen == 3);
}

TEST_CASE("forward streams: one per inference thread unless fewer are asked for, threads shared out") {
  CHECK(skin::resolve_forward_streams(4, 0) == 4);
  CHECK(skin::resolve_forward_streams(4, 2) == 2);
  CHECK(skin::resolve_forward_streams(2, 3) == 2);  // never more streams than threads
  CHECK(skin::resolve_forward_streams(0, 0) == skin::default_threads());
  CHECK(skin::resolve_forward_streams(0, 1) == 1);
  CHECK(skin::threads_per_forward_stream(4, 2) == 2);
  CHECK(skin::threads_per_forward_stream(3, 2) == 1);
  CHECK(skin::threads_per_forward_stream(1, 4) == 1);
  CHECK(skin::threads_per_forward_stream(4, 1) == 4);
  CHECK(skin::threads_per_forward_stream(0, 1) == skin::default_threads());
}

TEST_CASE("bundled model: two single-threaded forward streams give a two-threaded pass's probabilities") {
  const char* project = std::getenv("SKINSCAN_SOURCE");
  if (!project) {
    MESSAGE("SKINSCAN_SOURCE not set: bundled-model check skipped");
    return;
  }
  const std::string dir = std::string(project) + "/models/ham10000-skinnet";
  std::vector<std::string> inputs;
  for (int i = 0; i < 6; ++i) {
    inputs.push_back(test::image("good/baseline.jpg"));
    inputs.push_back(test::image("good/plain.png"));
  }
  skin::set_threads(2);
  skin::Classifier two_threads(dir);
  const StreamRun one = run_streams(two_threads, inputs, {});
  skin::set_threads(1);  // before loading: the optimisation keeps the thread count
  skin::Classifier single(dir);
  skin::PipelineOptions o;
  o.forward_streams = 2;
  o.batch_size = 2;
  const StreamRun many = run_streams(single, inputs, o);
  skin::set_threads(0);  // back to the default
  REQUIRE(many.out.size() == one.out.size());
  for (std::size_t i = 0; i < one.out.size(); ++i) {
    REQUIRE(many.out[i].probabilities.size() == 7);
    for (std::size_t k = 0; k < 7; ++k)
      CHECK(std::abs(many.out[i].probabilities[k] - one.out[i].probabilities[k]) <= 1e-5f);
  }
}

namespace {
// Waits (up to 20 s) until `ahead` holds `count` decoded items or stops growing for 2 s.
std::size_t settle(skin::DecodeAhead& ahead, std::size_t count) {
  std::size_t seen = 0;
  auto changed = std::chrono::steady_clock::now();
  const auto deadline = changed + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::size_t now = ahead.ready_items();
    if (now != seen) seen = now, changed = std::chrono::steady_clock::now();
    if (seen >= count || std::chrono::steady_clock::now() - changed > std::chrono::seconds(2)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return seen;
}
}  // namespace

TEST_CASE("decoding started before the model loads runs ahead by the prefetch, then gives the same results") {
  const auto inputs = mixed_inputs();  // 21 items, 7 of them failing
  skin::PipelineOptions o;
  o.batch_size = 2;  // window 8, prefetch 32 (the tiny model's 32 px inputs are far below 64 MiB)
  const skin::Manifest manifest = skin::load_model_manifest(test::model("tiny7"));
  skin::InputSource source(inputs);
  skin::DecodeAhead ahead(source, manifest.input, o);
  CHECK(ahead.prefetch_items() == 32);
  // Every item is decoded before any model exists: beyond the window of 8.
  CHECK(settle(ahead, inputs.size()) == inputs.size());
  skin::Classifier c(test::model("tiny7"));
  std::vector<skin::Prediction> ahead_out;
  const auto stats = skin::classify_stream(ahead, c, [&](skin::Prediction&& p) { ahead_out.push_back(std::move(p)); });
  CHECK(stats.ready_at_start == inputs.size());
  CHECK(stats.total == inputs.size());
  CHECK(stats.failed == 7);

  skin::InputSource again(inputs);
  std::vector<skin::Prediction> plain;
  skin::classify_stream(again, c, o, [&](skin::Prediction&& p) { plain.push_back(std::move(p)); });
  REQUIRE(ahead_out.size() == plain.size());
  for (std::size_t i = 0; i < plain.size(); ++i) {
    CHECK(ahead_out[i].path == plain[i].path);
    CHECK(ahead_out[i].error == plain[i].error);
    CHECK(ahead_out[i].probabilities == plain[i].probabilities);
  }
  // Consumed once: a second run would wait for workers that have stopped.
  CHECK_THROWS_AS(skin::classify_stream(ahead, c, [](skin::Prediction&&) {}), skin::Error);
}

TEST_CASE("decoding ahead stops at the window with variants, and refuses a model of another input spec") {
  const auto inputs = mixed_inputs();
  skin::PipelineOptions o;
  o.batch_size = 2;
  o.variants = [](const cv::Mat& image, const std::string&) { return std::vector<cv::Mat>{image.clone()}; };
  const skin::Manifest manifest = skin::load_model_manifest(test::model("tiny7"));
  skin::InputSource source(inputs);
  skin::DecodeAhead ahead(source, manifest.input, o);
  CHECK(ahead.prefetch_items() == 8);
  CHECK(settle(ahead, inputs.size()) == 8);
  skin::Classifier other(test::model("tiny2"));  // 48 px, centre crop, BGR
  CHECK_THROWS_AS(skin::classify_stream(ahead, other, [](skin::Prediction&&) {}), skin::Error);
  // Destroyed unused: the workers stop (the test would hang otherwise).
}

TEST_CASE("an unused decode-ahead stops its workers even with more input than it may hold") {
  std::vector<std::string> many(200, test::image("good/plain.png"));
  skin::InputSource source(many);
  skin::DecodeAhead ahead(source, skin::load_model_manifest(test::model("tiny7")).input, {});
  CHECK(settle(ahead, many.size()) == ahead.prefetch_items());
}

TEST_CASE("the model directory's manifest alone, with the model's errors") {
  CHECK(skin::load_model_manifest(test::model("tiny7")).name == "tiny7");
  const std::string missing = test::model("tiny7") + "-absent";
  const std::string error = test::error_of([&] { skin::load_model_manifest(missing); }, skin::ErrorKind::model);
  CHECK(error == missing + ": model directory not found");
}
