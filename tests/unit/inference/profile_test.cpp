// profile_test.cpp: a run's stage times account for its wall time, and the profile lines keep the
// form scripts/bench_profile.sh reads (skin/inference/profile.hpp, skin/core/process_clock.hpp).
#include "skin/inference/profile.hpp"

#include <doctest/doctest.h>

#include "skin/core/process_clock.hpp"
#include "support.hpp"

TEST_CASE("the calling thread's stages add up to the run's seconds, and the workers' stages are measured") {
  skin::Classifier c(test::model("tiny7"));
  std::vector<std::string> inputs;
  for (int i = 0; i < 12; ++i) inputs.push_back(test::image("good/baseline.jpg"));
  inputs.push_back(test::image("bad/empty.jpg"));
  skin::InputSource source(inputs);
  skin::PipelineOptions o;
  o.batch_size = 4;
  auto stats = skin::classify_stream(source, c, o, [](skin::Prediction&&) {});
  REQUIRE(stats.total == 13);
  const double stages = stats.wait_seconds + stats.forward_seconds + stats.output_seconds;
  CHECK(stages <= stats.seconds);
  // Set-up (starting the workers) and the progress callbacks are all that is left out.
  CHECK(stages >= 0.5 * stats.seconds);
  CHECK(stats.forward_seconds > 0);
  CHECK(stats.read_decode_seconds > 0);
  CHECK(stats.preprocess_seconds > 0);
}

TEST_CASE("the model's start-up times are measured") {
  skin::Classifier c(test::model("tiny7"));
  CHECK(c.load_timings().read_ms > 0);
  CHECK(c.load_timings().check_ms > 0);
  CHECK(c.load_timings().optimise_ms >= 0);
}

TEST_CASE("the process is older than zero and younger than a day") {
  const double age = skin::process_age_ms();
  CHECK(age > 0);
  CHECK(age < 86400e3);
}

TEST_CASE("the programs run with tcmalloc's malloc, unless built with the sanitizers") {
  // Should tcmalloc go missing from the link (nothing names it, so a linker dropping unused
  // libraries would drop it), the forward pass falls back to glibc's malloc, several times
  // slower: this catches that.
  const std::string provider = skin::malloc_provider();
  CAPTURE(provider);
#ifdef SKINSCAN_EXPECT_TCMALLOC
  CHECK(provider.find("libtcmalloc") != std::string::npos);
#else
  CHECK(provider.find("libtcmalloc") == std::string::npos);
#endif
  CHECK_FALSE(provider.empty());
}

TEST_CASE("profile lines: one per stage group, each 'profile: ' and seconds with units") {
  skin::Classifier c(test::model("tiny7"));
  skin::PipelineStats s;
  s.total = 10;
  s.seconds = 2.0;
  s.wait_seconds = 0.5;
  s.forward_seconds = 1.25;
  s.output_seconds = 0.25;
  s.read_decode_seconds = 0.75;
  s.preprocess_seconds = 0.125;
  s.batches = 5;
  s.paused_batches = 4;
  const std::string text = skin::profile_text(1234.0, {&c}, s, 2);
  CHECK(text.find("profile: start-up: process and libraries 1.234 s (malloc from " + skin::malloc_provider() + ")\n") ==
        0);
  CHECK(text.find("profile: run: 10 images in 2.000 s (5.0 images/s)\n") != std::string::npos);
  CHECK(text.find("waiting for images 0.500 s, forward 1.250 s, output 0.250 s (125.00 ms/image forward); "
                  "decoding paused during 4 of 5 forward passes\n") != std::string::npos);
  CHECK(text.find("decode workers (2, summed): read and decode 0.750 s, preprocess 0.125 s (75.00 and 12.50 "
                  "ms/image)") != std::string::npos);
  CHECK(text.find("profile: calling thread: waiting for images") != std::string::npos);
  std::size_t lines = 0;
  for (char ch : text) lines += ch == '\n';
  CHECK(lines == 5);
  s.forward_streams = 2;  // their waits and passes are summed over the streams
  CHECK(
      skin::profile_text(1234.0, {&c}, s, 2).find("profile: forward streams (2, summed): waiting for images 0.500 s") !=
      std::string::npos);
}

TEST_CASE("with forward streams the stages are measured and the run's seconds cover the output") {
  skin::Classifier c(test::model("tiny7"));
  std::vector<std::string> inputs(16, test::image("good/baseline.jpg"));
  skin::InputSource source(inputs);
  skin::PipelineOptions o;
  o.batch_size = 4;
  o.forward_streams = 2;
  auto stats = skin::classify_stream(source, c, o, [](skin::Prediction&&) {});
  REQUIRE(stats.total == 16);
  CHECK(stats.forward_streams == 2);
  CHECK(stats.batches == 4);
  CHECK(stats.forward_seconds > 0);
  CHECK(stats.read_decode_seconds > 0);
  CHECK(stats.output_seconds <= stats.seconds);
  // Two streams' passes overlap: their sum may pass the wall time, but not twice it.
  CHECK(stats.forward_seconds <= 2 * stats.seconds);
}
