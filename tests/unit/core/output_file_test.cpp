// output_file_test.cpp: atomic output files, checked writes (skin/core/output_file.hpp).
#include "skin/core/output_file.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>

#include "skin/core/error.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

TEST_CASE("OutputFile replaces the target only on commit") {
  fs::path target = fs::temp_directory_path() / ("skin_out_" + std::to_string(::getpid()) + ".txt");
  { std::ofstream(target) << "old good report"; }
  {
    skin::OutputFile out(target.string());
    out.write("half a rep");
    // destroyed without commit, as when an exception unwinds
  }
  CHECK(test::read_text(target.string()) == "old good report");
  CHECK_FALSE(fs::exists(target.string() + ".partial"));
  {
    skin::OutputFile out(target.string());
    out.write("new report");
    out.commit();
  }
  CHECK(test::read_text(target.string()) == "new report");
  fs::remove(target);
}

TEST_CASE("OutputFile reports unwritable places and full disks") {
  CHECK_THROWS_WITH_AS(skin::OutputFile("/nonexistent-dir/x.csv"),
                       "/nonexistent-dir/x.csv: cannot create file (No such file or directory)", skin::Error);
  REQUIRE_MESSAGE(fs::exists("/dev/full"), "/dev/full is needed to simulate a full disk");
  // /dev/full accepts the open and fails every write with ENOSPC: the error must surface on the
  // write (buffered data, pushed out by flush) or at the latest on commit, never be swallowed.
  skin::OutputFile out("/dev/full");
  std::string message;
  try {
    out.write(std::string(1 << 16, 'x'));  // larger than any stdio buffer
    out.flush();
    out.commit();
  } catch (const skin::Error& e) {
    CHECK(e.kind() == skin::ErrorKind::io);
    message = e.what();
  }
  CHECK(message == "/dev/full: write failed (No space left on device)");
}
