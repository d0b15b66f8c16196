// progress.cpp: throttled progress line on stderr.
#include "skin/core/progress.hpp"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

namespace skin {

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

Progress::Progress(bool enabled, std::size_t total)
    : enabled_(enabled && stderr_is_terminal()),
      total_(total),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { finish(); }

void Progress::update(std::size_t done, std::size_t failed) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100) && done != total_) return;
  last_draw_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  double rate = secs > 0 ? done / secs : 0;
  std::string line;
  if (total_ > 0) {
    const int width = 24;
    int filled = int(width * double(done) / double(total_));
    std::string bar(std::size_t(std::min(filled, width)), '#');
    bar.resize(width, '.');
    double eta = rate > 0 ? (total_ - std::min(done, total_)) / rate : 0;
    line = fmt::format("[{}] {}/{} images {:.1f}/s eta {:.0f}s", bar, done, total_, rate, eta);
  } else {
    line = fmt::format("{} images {:.1f}/s", done, rate);
  }
  if (failed) line += fmt::format(" ({} failed)", failed);
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

}  // namespace skin
