// output_test.cpp: atomic output files and the prediction writers (skin/output_file.hpp, skin/writers.hpp).
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>

#include "skin/error.hpp"
#include "skin/output_file.hpp"
#include "skin/writers.hpp"

namespace fs = std::filesystem;

namespace {
std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
skin::Manifest ham() {
  skin::Manifest m;
  m.name = "ham";
  m.labels = {"akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"};
  m.malignant = {"akiec", "bcc", "mel"};
  return m;
}
}  // namespace

TEST_CASE("OutputFile replaces the target only on commit") {
  fs::path target = fs::temp_directory_path() / ("skin_out_" + std::to_string(::getpid()) + ".txt");
  { std::ofstream(target) << "old good report"; }
  {
    skin::OutputFile out(target.string());
    out.write("half a rep");
    // destroyed without commit, as when an exception unwinds
  }
  CHECK(slurp(target) == "old good report");
  CHECK_FALSE(fs::exists(target.string() + ".partial"));
  {
    skin::OutputFile out(target.string());
    out.write("new report");
    out.commit();
  }
  CHECK(slurp(target) == "new report");
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

TEST_CASE("ISIC columns map case-insensitively to model labels") {
  auto m = ham();
  CHECK(skin::isic_label_indices(m) == std::vector<std::size_t>{4, 5, 1, 0, 2, 3, 6});
  m.labels = {"benign", "malignant"};
  CHECK_THROWS_WITH_AS(skin::isic_label_indices(m),
                       "isic format needs the 7 HAM10000 classes; model 'ham' has no 'mel'", skin::Error);
}

TEST_CASE("csv escaping quotes only when needed") {
  CHECK(skin::csv_escape("plain") == "plain");
  CHECK(skin::csv_escape("a,b") == "\"a,b\"");
  CHECK(skin::csv_escape("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(skin::csv_escape("two\nlines") == "\"two\nlines\"");
}

TEST_CASE("writers produce one record per prediction") {
  fs::path target = fs::temp_directory_path() / ("skin_writer_" + std::to_string(::getpid()) + ".csv");
  auto m = ham();
  skin::Prediction ok{"dir/ISIC_1.jpg", "ISIC_1", {0.1f, 0.1f, 0.1f, 0.1f, 0.3f, 0.2f, 0.1f}, {}, "", 0, 0};
  skin::Prediction bad{"dir/b,ad.jpg", "b,ad", {}, {}, "dir/b,ad.jpg: file is empty", 0, 0};
  SUBCASE("isic") {
    {
      skin::OutputFile out(target.string());
      auto w = skin::make_writer(skin::OutputFormat::isic, out, m, 3);
      w->write(ok);
      w->write(bad);
      out.commit();
    }
    CHECK(slurp(target) ==
          "image,MEL,NV,BCC,AKIEC,BKL,DF,VASC\nISIC_1,0.300000012,0.200000003,0.100000001,"
          "0.100000001,0.100000001,0.100000001,0.100000001\n");
  }
  SUBCASE("csv keeps the failure as a row") {
    {
      skin::OutputFile out(target.string());
      auto w = skin::make_writer(skin::OutputFormat::csv, out, m, 3);
      w->write(bad);
      out.commit();
    }
    CHECK(slurp(target) ==
          "path,id,label,probability,akiec,bcc,bkl,df,mel,nv,vasc,malignant_probability,error\n"
          "\"dir/b,ad.jpg\",\"b,ad\",,,,,,,,,,,\"dir/b,ad.jpg: file is empty\"\n");
  }
  SUBCASE("jsonl") {
    {
      skin::OutputFile out(target.string());
      auto w = skin::make_writer(skin::OutputFormat::jsonl, out, m, 2);
      w->write(ok);
      out.commit();
    }
    auto j = nlohmann::json::parse(slurp(target));
    CHECK(j["label"] == "mel");
    CHECK(j["top_k"].size() == 2);
    CHECK(j["malignant_probability"].get<double>() == doctest::Approx(0.5));
  }
  fs::remove(target);
}
