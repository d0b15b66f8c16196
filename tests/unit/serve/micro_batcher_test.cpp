// micro_batcher_test.cpp: requests from many threads share forward passes, each gets its own
// outputs back, errors reach every request of the batch (skin/serve/micro_batcher.hpp).
#include "skin/serve/micro_batcher.hpp"

#include <atomic>
#include <mutex>
#include <thread>

#include <doctest/doctest.h>

#include "support.hpp"

namespace {

// Output per input: {2 * x0, x0 + x1}; records the size of every batch.
struct Recorder {
  std::mutex mutex;
  std::vector<std::size_t> sizes;
  skin::MicroBatcher::Forward forward() {
    return [this](const float* in, std::size_t n) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        sizes.push_back(n);
      }
      std::vector<float> out;
      for (std::size_t i = 0; i < n; ++i) {
        out.push_back(2 * in[2 * i]);
        out.push_back(in[2 * i] + in[2 * i + 1]);
      }
      return out;
    };
  }
};

}  // namespace

TEST_CASE("concurrent requests are batched up to max_batch and each gets its own outputs") {
  Recorder rec;
  std::atomic<std::size_t> observed{0};
  std::vector<std::future<skin::BatchedResult>> futures;
  {
    // A long wait, so batches close because they are full, not because time ran out.
    skin::MicroBatcher batcher(rec.forward(), 2, 2, 4, std::chrono::seconds(5),
                               [&](std::size_t n, double) { observed += n; });
    for (int i = 0; i < 12; ++i) futures.push_back(batcher.submit({float(i), 100.f}));
    for (int i = 0; i < 12; ++i) {
      auto r = futures[std::size_t(i)].get();
      CHECK(r.outputs == std::vector<float>{2.f * float(i), float(i) + 100.f});
      CHECK(r.batch_size == 4);
    }
  }
  CHECK(rec.sizes == std::vector<std::size_t>{4, 4, 4});
  CHECK(observed == 12);
}

TEST_CASE("a lone request is answered after max_wait in a batch of one") {
  Recorder rec;
  skin::MicroBatcher batcher(rec.forward(), 2, 2, 8, std::chrono::milliseconds(1));
  auto r = batcher.submit({3.f, 4.f}).get();
  CHECK(r.outputs == std::vector<float>{6.f, 7.f});
  CHECK(r.batch_size == 1);
}

TEST_CASE("requests from many threads all come back right") {
  Recorder rec;
  skin::MicroBatcher batcher(rec.forward(), 2, 2, 8, std::chrono::milliseconds(2));
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const float x = float(t * 1000 + i);
        auto r = batcher.submit({x, 1.f}).get();
        if (r.outputs != std::vector<float>{2 * x, x + 1}) ++wrong;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(wrong == 0);
  std::size_t total = 0;
  for (auto n : rec.sizes) {
    CHECK(n >= 1);
    CHECK(n <= 8);
    total += n;
  }
  CHECK(total == 400);
}

TEST_CASE("an error in the forward pass reaches every request of its batch") {
  skin::MicroBatcher batcher([](const float*, std::size_t) -> std::vector<float> { throw std::runtime_error("boom"); },
                             2, 2, 2, std::chrono::seconds(5));
  auto a = batcher.submit({1.f, 2.f});
  auto b = batcher.submit({3.f, 4.f});
  CHECK_THROWS_WITH(a.get(), "boom");
  CHECK_THROWS_WITH(b.get(), "boom");
}

TEST_CASE("a forward pass with the wrong output count and a wrong input size are errors") {
  skin::MicroBatcher batcher([](const float*, std::size_t) { return std::vector<float>{1.f}; }, 2, 2, 1,
                             std::chrono::milliseconds(1));
  auto f = batcher.submit({1.f, 2.f});
  CHECK_THROWS_WITH(f.get(), doctest::Contains("returned 1 values for 1 inputs, expected 2"));
  CHECK(test::error_of([&] { batcher.submit({1.f}); }, skin::ErrorKind::usage) ==
        "micro-batcher: input has 1 values, expected 2");
}

TEST_CASE("destroying the batcher answers what is queued first") {
  Recorder rec;
  std::future<skin::BatchedResult> f;
  {
    skin::MicroBatcher batcher(rec.forward(), 2, 2, 8, std::chrono::seconds(30));
    f = batcher.submit({5.f, 5.f});
  }
  CHECK(f.get().outputs == std::vector<float>{10.f, 10.f});
}

TEST_CASE("a batch closes at once when no further request is on its way") {
  Recorder rec;
  std::atomic<std::size_t> arriving{0};
  // max_wait is long: only the arriving count can close these batches early.
  skin::MicroBatcher batcher(rec.forward(), 2, 2, 8, std::chrono::seconds(60), {}, [&] { return arriving.load(); });
  auto lone = batcher.submit({1.f, 1.f});
  REQUIRE(lone.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  CHECK(lone.get().batch_size == 1);
}
