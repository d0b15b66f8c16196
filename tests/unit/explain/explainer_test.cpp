// explainer_test.cpp: explain_image and its written images (skin/explain/explainer.hpp).
#include "skin/explain/explainer.hpp"

#include <unistd.h>

#include <filesystem>

#include <doctest/doctest.h>
#include <opencv2/imgcodecs.hpp>

#include "skin/input/image.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

TEST_CASE("explain_image gives the explanation, the saliency record and original-size images") {
  skin::Classifier classifier(test::model("tiny7"));
  cv::Mat bgr = skin::load_image(test::image("good/plain.png"), skin::ImageLimits{});
  auto e = skin::explain_image(classifier, bgr, skin::ExplainRequest{});
  CHECK(e.json["saliency"]["method"] == "occlusion-blur");  // the default method
  CHECK(e.json["saliency"]["class"] == e.json["differential"][0]["label"]);
  CHECK(e.json.contains("risk"));
  CHECK(e.overlay.size() == bgr.size());
  CHECK(e.heatmap.size() == bgr.size());
  CHECK(e.heatmap.type() == CV_8UC1);

  skin::ExplainRequest for_mel;
  for_mel.class_index = skin::class_index_of(classifier.manifest(), "mel");
  for_mel.method = skin::SaliencyMethod::grad_cam_pp;
  auto m = skin::explain_image(classifier, bgr, for_mel);
  CHECK(m.json["saliency"]["class"] == "mel");
  CHECK(m.json["saliency"]["method"] == "grad-cam++");

  fs::path dir = fs::temp_directory_path() / ("skin_explain_" + std::to_string(::getpid()));
  skin::write_explanation_images(e, dir.string(), "plain");
  CHECK(e.json["saliency"]["overlay"] == (dir / "plain_overlay.png").string());
  CHECK(cv::imread((dir / "plain_overlay.png").string()).size() == bgr.size());
  CHECK(cv::imread((dir / "plain_heatmap.png").string()).size() == bgr.size());
  fs::remove_all(dir);
}

TEST_CASE("class_index_of refuses a label the model lacks, listing its labels") {
  skin::Classifier classifier(test::model("tiny2"));
  CHECK(test::error_of([&] { skin::class_index_of(classifier.manifest(), "mel"); }, skin::ErrorKind::usage) ==
        "class 'mel': model 'tiny2' has labels benign, malignant");
}
