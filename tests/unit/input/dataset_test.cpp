// dataset_test.cpp: layout detection, missing images, duplicates, splits (skin/input/dataset.hpp).
#include "skin/input/dataset.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>

#include "skin/core/error.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {
struct Tree {
  fs::path root =
      fs::temp_directory_path() / ("skin_ds_" + std::to_string(::getpid()) + "_" + std::to_string(std::rand()));
  Tree() { fs::create_directories(root); }
  ~Tree() { fs::remove_all(root); }
  void file(const std::string& rel, const std::string& content) {
    fs::create_directories((root / rel).parent_path());
    std::ofstream(root / rel, std::ios::binary) << content;
  }
  void image(const std::string& rel) {
    fs::create_directories((root / rel).parent_path());
    fs::copy_file(test::image("good/plain.png"), root / rel);
  }
};
}  // namespace

TEST_CASE("HAM10000 layout: metadata CSV plus several image folders, missing images kept as missing") {
  Tree t;
  t.file("HAM10000_metadata.csv", "lesion_id,image_id,dx\nL1,ISIC_1,mel\nL2,ISIC_2,NV\nL3,ISIC_3,bkl\n");
  t.image("part_1/ISIC_1.png");
  t.image("part_2/ISIC_2.png");
  auto d = skin::load_dataset(t.root.string(), skin::Layout::automatic);
  CHECK(d.layout == "ham10000");
  REQUIRE(d.items.size() == 3);
  CHECK(d.items[0].path == (t.root / "part_1/ISIC_1.png").string());
  CHECK(d.items[1].label == "nv");  // labels compare case-insensitively
  CHECK(d.items[2].path.empty());
  skin::restrict_to(d, {"ISIC_2", "ISIC_3"});
  CHECK(d.items.size() == 2);
}

TEST_CASE("ISIC ground truth layout") {
  Tree t;
  t.file("gt.csv", "image,MEL,NV,BCC,AKIEC,BKL,DF,VASC\nISIC_9,0,1.0,0,0,0,0,0\n");
  t.image("imgs/ISIC_9.png");
  auto d = skin::load_dataset(t.root.string(), skin::Layout::automatic);
  CHECK(d.layout == "isic");
  CHECK(d.items[0].label == "nv");
  SUBCASE("not one-hot") {
    t.file("gt.csv", "image,MEL,NV,BCC,AKIEC,BKL,DF,VASC\nISIC_9,1,1,0,0,0,0,0\n");
    CHECK_THROWS_WITH_AS(
        skin::load_dataset(t.root.string(), skin::Layout::isic),
        ((t.root / "gt.csv").string() + ": row 2: more than one class marked 1 (ground truth must be one-hot)").c_str(),
        skin::Error);
  }
}

TEST_CASE("ImageFolder layout: one sub-folder per class") {
  Tree t;
  t.image("mel/a.png");
  t.image("nv/b.png");
  t.image("nv/c.png");
  t.image("nv/c.jpg");  // same stem as nv/c.png: a different image, so a different id
  auto d = skin::load_dataset(t.root.string(), skin::Layout::automatic);
  CHECK(d.layout == "imagefolder");
  REQUIRE(d.items.size() == 4);
  CHECK(d.items[0].id == "a.png");
  CHECK(d.items[0].label == "mel");
  skin::restrict_to(d, {"b", "c.jpg"});  // id lists may give ids with or without extension
  REQUIRE(d.items.size() == 2);
  CHECK(d.items[0].id == "b.png");
  CHECK(d.items[1].id == "c.jpg");
}

TEST_CASE("duplicate ids are errors naming both rows") {
  Tree t;
  t.file("meta.csv", "image_id,dx\nISIC_1,mel\nISIC_1,nv\n");
  CHECK_THROWS_WITH_AS(
      skin::load_dataset(t.root.string(), skin::Layout::ham10000),
      ((t.root / "meta.csv").string() + ": row 3: duplicate image id 'ISIC_1' (first at row 2)").c_str(), skin::Error);
}

TEST_CASE("id lists ignore blanks and comments and strip extensions") {
  Tree t;
  t.file("ids.txt", "# test split\nISIC_1\n\n  ISIC_2.jpg \r\n");
  CHECK(skin::read_id_list((t.root / "ids.txt").string()) == std::unordered_set<std::string>{"ISIC_1", "ISIC_2"});
}
