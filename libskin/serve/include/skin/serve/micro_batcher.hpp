// skin/serve/micro_batcher.hpp: gathers single-image requests from many threads into batched forward
// passes. The oldest waiting request opens a batch; the batch closes when it holds max_batch
// images, when that request has waited max_wait, or when no further request is on its way (the
// optional `arriving` count), whichever comes first. While one batch runs, the next fills up, so
// under load batches grow without anyone waiting longer than max_wait plus one forward pass, and
// a lone request does not wait at all.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace skin {

struct BatchedResult {
  std::vector<float> outputs;  // output_size values for this request
  std::size_t batch_size = 0;  // how many requests shared the forward pass
  double inference_ms = 0;     // this request's share of the forward pass
};

class MicroBatcher {
 public:
  // forward(inputs, count) returns count * output_size values for count inputs of input_size floats.
  using Forward = std::function<std::vector<float>(const float* inputs, std::size_t count)>;
  using BatchObserver = std::function<void(std::size_t batch_size, double forward_seconds)>;

  // How many requests are being read or decoded and will be submitted soon.
  using Arriving = std::function<std::size_t()>;

  MicroBatcher(Forward forward, std::size_t input_size, std::size_t output_size, std::size_t max_batch,
               std::chrono::microseconds max_wait, BatchObserver observer = {}, Arriving arriving = {});
  // Runs what is queued, then stops the worker.
  ~MicroBatcher();
  MicroBatcher(const MicroBatcher&) = delete;
  MicroBatcher& operator=(const MicroBatcher&) = delete;

  // Queues one input (input_size floats). The future throws what the forward pass threw.
  std::future<BatchedResult> submit(std::vector<float> input);

 private:
  struct Pending {
    std::vector<float> input;
    std::promise<BatchedResult> promise;
    std::chrono::steady_clock::time_point queued;
  };

  void work();
  void run_batch(std::vector<Pending>& batch);

  Forward forward_;
  std::size_t input_size_, output_size_, max_batch_;
  std::chrono::microseconds max_wait_;
  BatchObserver observer_;
  Arriving arriving_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace skin
