// writers_test.cpp: prediction writers, ISIC column mapping, CSV escaping, per-image CSV (skin/writers.hpp).
#include "skin/writers.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>

#include "skin/error.hpp"
#include "skin/output_file.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

TEST_CASE("ISIC columns map case-insensitively to model labels") {
  auto m = test::ham_manifest();
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
  auto m = test::ham_manifest();
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
    CHECK(test::read_text(target.string()) ==
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
    CHECK(test::read_text(target.string()) ==
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
    auto j = nlohmann::json::parse(test::read_text(target.string()));
    CHECK(j["label"] == "mel");
    CHECK(j["top_k"].size() == 2);
    CHECK(j["malignant_probability"].get<double>() == doctest::Approx(0.5));
  }
  fs::remove(target);
}

TEST_CASE("the per-image CSV has every class probability and escapes ids") {
  skin::Scoring s;
  s.labels = {"a", "b"};
  s.scored = {{"x,1", "/p/x,1.jpg", 1, {0.25, 0.75}, {}}, {"y", "/p/y.jpg", 0, {0.5, 0.5}, {}}};
  CHECK(skin::per_image_csv(s) ==
        "id,path,truth,prediction,confidence,correct,p_a,p_b\n"
        "\"x,1\",\"/p/x,1.jpg\",b,b,0.75,1,0.25,0.75\n"
        "y,/p/y.jpg,a,a,0.5,1,0.5,0.5\n");  // ties go to the first class
}
