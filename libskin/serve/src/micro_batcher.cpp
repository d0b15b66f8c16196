// micro_batcher.cpp: one worker thread; requests wait on promises.
#include "skin/serve/micro_batcher.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "skin/core/error.hpp"

namespace skin {

using Clock = std::chrono::steady_clock;

MicroBatcher::MicroBatcher(Forward forward, std::size_t input_size, std::size_t output_size, std::size_t max_batch,
                           std::chrono::microseconds max_wait, BatchObserver observer, Arriving arriving)
    : forward_(std::move(forward)),
      input_size_(input_size),
      output_size_(output_size),
      max_batch_(std::max<std::size_t>(1, max_batch)),
      max_wait_(max_wait),
      observer_(std::move(observer)),
      arriving_(std::move(arriving)),
      worker_([this] { work(); }) {}

MicroBatcher::~MicroBatcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

std::future<BatchedResult> MicroBatcher::submit(std::vector<float> input) {
  if (input.size() != input_size_)
    throw Error(ErrorKind::usage,
                fmt::format("micro-batcher: input has {} values, expected {}", input.size(), input_size_));
  Pending pending{std::move(input), {}, Clock::now()};
  auto future = pending.promise.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) throw Error(ErrorKind::usage, "micro-batcher: stopped");
    queue_.push_back(std::move(pending));
  }
  cv_.notify_one();
  return future;
}

void MicroBatcher::work() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and drained
    // The deadline belongs to the oldest request: requests that queued while the previous batch
    // ran have already waited, so they go at once.
    const auto deadline = queue_.front().queued + max_wait_;
    cv_.wait_until(lock, deadline,
                   [&] { return stopping_ || queue_.size() >= max_batch_ || (arriving_ && arriving_() == 0); });
    std::vector<Pending> batch;
    const std::size_t n = std::min(max_batch_, queue_.size());
    batch.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    run_batch(batch);
    lock.lock();
  }
}

void MicroBatcher::run_batch(std::vector<Pending>& batch) {
  const std::size_t n = batch.size();
  std::vector<float> inputs(n * input_size_);
  for (std::size_t i = 0; i < n; ++i)
    std::memcpy(inputs.data() + i * input_size_, batch[i].input.data(), input_size_ * sizeof(float));
  const auto t0 = Clock::now();
  std::vector<float> outputs;
  try {
    outputs = forward_(inputs.data(), n);
    if (outputs.size() != n * output_size_)
      throw Error(ErrorKind::model, fmt::format("micro-batcher: forward pass returned {} values for {} inputs, "
                                                "expected {}",
                                                outputs.size(), n, n * output_size_));
  } catch (...) {
    for (auto& p : batch) p.promise.set_exception(std::current_exception());
    return;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (observer_) observer_(n, seconds);
  for (std::size_t i = 0; i < n; ++i) {
    BatchedResult r;
    r.outputs.assign(outputs.begin() + static_cast<std::ptrdiff_t>(i * output_size_),
                     outputs.begin() + static_cast<std::ptrdiff_t>((i + 1) * output_size_));
    r.batch_size = n;
    r.inference_ms = seconds * 1000.0 / static_cast<double>(n);
    batch[i].promise.set_value(std::move(r));
  }
}

}  // namespace skin
