// scoring_test.cpp: scoring a labelled dataset from a predictions file or a model (skin/evaluation/scoring.hpp).
#include "skin/evaluation/scoring.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>

#include "support.hpp"

namespace fs = std::filesystem;

namespace {

skin::Dataset three_items() {
  skin::Dataset d;
  d.layout = "ham10000";
  d.root = "/data";
  d.items = {{"a", "mel", "/data/a.jpg", {}}, {"b", "NV", "/data/b.jpg", {}}, {"c", "bcc", "", {}}};
  return d;
}

std::string write_temp(const std::string& name, const std::string& text) {
  fs::path p = fs::temp_directory_path() / (name + std::to_string(::getpid()));
  std::ofstream(p) << text;
  return p.string();
}

}  // namespace

TEST_CASE("find_label is case-insensitive and -1 when absent") {
  const std::vector<std::string> labels{"akiec", "MEL", "nv"};
  CHECK(skin::find_label(labels, "mel") == 1);
  CHECK(skin::find_label(labels, "NV") == 2);
  CHECK(skin::find_label(labels, "vasc") == -1);
}

TEST_CASE("an ISIC submission is matched by id; rows without truth and truth without rows are told apart") {
  auto path = write_temp("isic_pred",
                         "image,MEL,NV,BCC,AKIEC,BKL,DF,VASC\n"
                         "a,0.7,0.1,0.1,0.05,0.05,0,0\n"
                         "b,0.1,0.8,0.1,0,0,0,0\n");
  skin::Scoring s = skin::score_with_predictions(three_items(), path, {"mel", "bcc", "akiec", {}});
  CHECK(s.labels == std::vector<std::string>{"mel", "nv", "bcc", "akiec", "bkl", "df", "vasc"});
  CHECK(s.malignant == std::vector<std::string>{"mel", "bcc", "akiec"});
  REQUIRE(s.scored.size() == 2);
  CHECK(s.scored[0].id == "a");
  CHECK(s.scored[0].truth == 0);
  CHECK(s.scored[1].truth == 1);  // "NV" matched to "nv"
  CHECK(s.scored[0].probabilities[0] == doctest::Approx(0.7));
  CHECK(s.scored[0].scores.empty());
  CHECK(s.missing == std::vector<std::string>{"c"});
  CHECK(s.source["kind"] == "predictions");
  fs::remove(path);
}

TEST_CASE("predictions files that cannot be scored name the file and the row") {
  auto dup = write_temp("dup_pred", "image,MEL,NV,BCC,AKIEC,BKL,DF,VASC\na,1,0,0,0,0,0,0\na,1,0,0,0,0,0,0\n");
  CHECK(test::error_of([&] { skin::score_with_predictions(three_items(), dup, {}); }, skin::ErrorKind::input) ==
        dup + ": row 3: duplicate image id 'a' (first at row 2)");
  auto sum = write_temp("sum_pred", "image,MEL,NV,BCC,AKIEC,BKL,DF,VASC\na,0.5,0,0,0,0,0,0\n");
  CHECK(test::error_of([&] { skin::score_with_predictions(three_items(), sum, {}); }, skin::ErrorKind::input) ==
        sum + ": row 2: probabilities sum to 0.5, not 1");
  auto other = write_temp("other_pred", "x,y\n1,2\n");
  CHECK(test::error_of([&] { skin::score_with_predictions(three_items(), other, {}); }, skin::ErrorKind::input)
            .rfind(other + ": not a predictions file", 0) == 0);
  for (const auto& p : {dup, sum, other}) fs::remove(p);
}

TEST_CASE("a source whose classes do not cover the dataset's is refused, listing both sets") {
  auto d = three_items();
  d.items[1].label = "wart";
  auto path = write_temp("isic_pred2", "image,MEL,NV,BCC,AKIEC,BKL,DF,VASC\na,1,0,0,0,0,0,0\n");
  CHECK(test::error_of([&] { skin::score_with_predictions(d, path, {}); }, skin::ErrorKind::usage) ==
        path +
            " has classes (mel, nv, bcc, akiec, bkl, df, vasc) but the dataset has (bcc, mel, wart); not covered: "
            "wart. Map the columns with --label-map (e.g. AK=akiec,SCC=akiec,UNK=-) or use a model for these classes");
  fs::remove(path);
}

TEST_CASE("ISIC 2019 columns map onto HAM10000 classes; unmapped extra ids are unlabelled") {
  auto path = write_temp("isic2019",
                         "image,MEL,NV,BCC,AK,BKL,DF,VASC,SCC,UNK\n"
                         "a,0.5,0.1,0.1,0.1,0.05,0,0,0.05,0.1\n"
                         "b,0,1,0,0,0,0,0,0,0\n"
                         "zzz,0,1,0,0,0,0,0,0,0\n");
  CHECK(test::error_of([&] { skin::score_with_predictions(three_items(), path, {}); }, skin::ErrorKind::usage)
            .find("not covered: akiec") == std::string::npos);  // the dataset has no akiec: 2019 names suffice
  auto s =
      skin::score_with_predictions(three_items(), path, {"mel"}, skin::parse_label_map("AK=akiec,SCC=akiec,UNK=-"));
  CHECK(s.labels == std::vector<std::string>{"mel", "nv", "bcc", "akiec", "bkl", "df", "vasc"});
  REQUIRE(s.scored.size() == 2);
  // a: UNK (0.1) dropped, AK + SCC summed, then renormalised by 0.9.
  CHECK(s.scored[0].probabilities[0] == doctest::Approx(0.5 / 0.9));
  CHECK(s.scored[0].probabilities[3] == doctest::Approx(0.15 / 0.9));
  CHECK(s.unlabelled == std::vector<std::string>{"zzz"});
  REQUIRE(s.label_map["columns"].contains("UNK"));
  CHECK(s.label_map["columns"]["UNK"].is_null());
  CHECK(s.label_map["columns"]["SCC"] == "akiec");
  CHECK(s.label_map["renormalised"] == true);
  CHECK(test::error_of([&] { skin::parse_label_map("AK"); }, skin::ErrorKind::usage) ==
        "--label-map: label map entry 'AK' must look like COLUMN=class or COLUMN=-");
  CHECK(test::error_of([&] { skin::score_with_predictions(three_items(), path, {}, skin::parse_label_map("XX=mel")); },
                       skin::ErrorKind::usage)
            .rfind("XX=mel: label map names column 'XX', which is not one of", 0) == 0);
  fs::remove(path);
}

TEST_CASE("score_with_model keeps missing, failed and scored items apart") {
  skin::Classifier classifier(test::model("tiny7"));
  skin::Dataset d;
  d.items = {{"plain", "nv", test::image("good/plain.png"), {}},
             {"empty", "mel", test::fixtures() + "/images/bad/empty.jpg", {}},
             {"gone", "bcc", "", {}}};
  skin::Scoring s = skin::score_with_model(d, classifier, skin::PipelineOptions{});
  REQUIRE(s.scored.size() == 1);
  CHECK(s.scored[0].id == "plain");
  CHECK(s.scored[0].probabilities.size() == 7);
  CHECK(s.scored[0].scores.size() == 7);  // raw outputs kept for calibration
  REQUIRE(s.failed.size() == 1);
  CHECK(s.failed[0].id == "empty");
  CHECK(s.failed[0].error.find("empty.jpg: file is empty") != std::string::npos);
  CHECK(s.missing == std::vector<std::string>{"gone"});
  CHECK(s.source["name"] == "tiny7");
  CHECK(s.source["manifest_sha256"].get<std::string>().size() == 64);
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

TEST_CASE("flattening: one row per scored item, probabilities or raw scores") {
  skin::Scoring s;
  s.labels = {"a", "b"};
  s.scored = {{"x", "", 1, {0.25, 0.75}, {-1, 1}}, {"y", "", 0, {0.5, 0.5}, {2, 2}}};
  CHECK(skin::flatten_probabilities(s).values == std::vector<double>{0.25, 0.75, 0.5, 0.5});
  CHECK(skin::flatten_probabilities(s).truth == std::vector<int>{1, 0});
  CHECK(skin::flatten_raw_scores(s).values == std::vector<double>{-1, 1, 2, 2});
}
