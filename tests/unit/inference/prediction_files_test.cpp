// prediction_files_test.cpp: prediction writers and readers, ISIC column mapping, CSV escaping
// and the cut-off-line rule (skin/inference/prediction_files.hpp).
#include "skin/inference/prediction_files.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>

#include "skin/core/error.hpp"
#include "skin/core/output_file.hpp"
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
  skin::Prediction ok{"dir/ISIC_1.jpg", "ISIC_1", {0.1f, 0.1f, 0.1f, 0.1f, 0.3f, 0.2f, 0.1f}, {}, "", 0, 0, {}, {}};
  skin::Prediction bad{"dir/b,ad.jpg", "b,ad", {}, {}, "dir/b,ad.jpg: file is empty", 0, 0, {}, {}};
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

namespace {
fs::path temp_file(const std::string& name, const std::string& content) {
  fs::path p = fs::temp_directory_path() / ("skin_pf_" + std::to_string(::getpid()) + "_" + name);
  std::ofstream(p, std::ios::binary) << content;
  return p;
}
}  // namespace

TEST_CASE("the cut-off-line rule: a non-blank last line without newline is reported, not returned") {
  std::istringstream whole("a\n\nb\n"), torn("a\nb\n{\"id\": \"x"), blank_tail("a\n  ");
  auto w = skin::read_record_lines(whole);
  CHECK(w.lines.size() == 3);
  CHECK(w.lines[2] == std::pair<std::size_t, std::string>{3, "b"});
  CHECK(!w.cut_off);
  auto t = skin::read_record_lines(torn);
  CHECK(t.lines.size() == 2);
  CHECK(t.cut_off);
  CHECK(t.cut_off_line == 3);
  CHECK(!skin::read_record_lines(blank_tail).cut_off);
}

TEST_CASE("resume drops a cut-off last line and damaged records; evaluate and merge reject the file") {
  const std::string good = R"({"path": "a.jpg", "id": "a", "probabilities": {"x": 0.25, "y": 0.75}})";
  const std::string torn = R"({"path": "b.jpg", "id": "b", "probab)";
  fs::path p = temp_file("torn.jsonl", good + "\nnot json\n" + torn);
  auto done = skin::read_jsonl_records(p.string());
  CHECK(done.lines == std::vector<std::string>{good});
  CHECK(done.paths.count("a.jpg") == 1);
  CHECK(test::error_of([&] { skin::read_predictions(p.string()); }, skin::ErrorKind::input) ==
        p.string() + ": line 3: incomplete last line (no newline): was the run cut short?");
  CHECK(test::error_of([&] { skin::read_shard_records(p.string(), skin::OutputFormat::jsonl); },
                       skin::ErrorKind::input) == p.string() +
                                                      ": last line is incomplete (the task stopped while writing); "
                                                      "re-run this shard with --resume");
  fs::remove(p);
}

TEST_CASE("evaluate's reader: JSON Lines and skinscan CSV give the same rows") {
  fs::path j = temp_file("p.jsonl", R"({"id": "a", "probabilities": {"x": 0.25, "y": 0.75}})"
                                    "\n"
                                    R"({"id": "b", "error": "b.jpg: file is empty"})"
                                    "\n");
  fs::path c = temp_file("p.csv",
                         "path,id,label,probability,x,y,malignant_probability,error\n"
                         "a.jpg,a,y,0.75,0.25,0.75,,\nb.jpg,b,,,,,,b.jpg: file is empty\n");
  for (const auto& path : {j, c}) {
    CAPTURE(path);
    skin::PredictionRows rows = skin::read_predictions(path.string());
    CHECK(rows.labels == std::vector<std::string>{"x", "y"});
    CHECK(rows.rows.at("a").p == std::vector<double>{0.25, 0.75});
    CHECK(rows.rows.at("b").error == "b.jpg: file is empty");
    fs::remove(path);
  }
}

TEST_CASE("merge's reader re-quotes CSV fields with csv_escape and keeps the header") {
  fs::path p = temp_file("shard.csv", "image,MEL,NV\r\n\"a,1\",0.5,0.5\r\nb,0.25,0.75\r\n");
  skin::ShardRecords r = skin::read_shard_records(p.string(), skin::OutputFormat::isic);
  CHECK(r.header == "image,MEL,NV");
  REQUIRE(r.records.size() == 2);
  CHECK(r.records[0].id == "a,1");
  CHECK(r.records[0].text == "\"a,1\",0.5,0.5");
  CHECK(r.records[1].text == "b,0.25,0.75");
  fs::remove(p);
  fs::path torn = temp_file("torn.csv", "image,MEL,NV\nb,0.25,0.7");
  CHECK(test::error_of([&] { skin::read_shard_records(torn.string(), skin::OutputFormat::isic); },
                       skin::ErrorKind::input) ==
        torn.string() + ": last line is incomplete (the task stopped while writing); re-run this shard");
  fs::remove(torn);
}
