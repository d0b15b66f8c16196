// skin/core/progress.hpp: a one-line progress bar on stderr (count, rate, ETA), drawn only when
// stderr is a terminal and at most ten times a second.
#pragma once
#include <chrono>
#include <cstddef>
#include <string>

namespace skin {

class Progress {
 public:
  // `total` 0 means unknown (no bar, no ETA). Disabled when `enabled` is false or stderr is not a tty.
  Progress(bool enabled, std::size_t total);
  ~Progress();
  void update(std::size_t done, std::size_t failed);
  void finish();  // clears the line

 private:
  bool enabled_;
  std::size_t total_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool drawn_ = false;
};

bool stderr_is_terminal();

}  // namespace skin
