// progress_test.cpp: the progress line stays off stderr unless it is a terminal (skin/core/progress.hpp).
#include "skin/core/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>

TEST_CASE("no progress output when stderr is not a terminal, whatever is asked") {
  // Under ctest stderr is a pipe or file; redirect it to a file to see what would be drawn.
  std::FILE* tmp = std::tmpfile();
  REQUIRE(tmp != nullptr);
  const int saved = ::dup(STDERR_FILENO);
  std::fflush(stderr);
  ::dup2(::fileno(tmp), STDERR_FILENO);
  CHECK_FALSE(skin::stderr_is_terminal());
  {
    skin::Progress p(true, 10);
    for (std::size_t i = 1; i <= 10; ++i) p.update(i, 0);
    p.finish();
  }
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  CHECK(std::ftell(tmp) == 0);
  std::fclose(tmp);
}
