// image_test.cpp: format sniffing, header dimensions, and guarded decoding (skin/input/image.hpp).
#include "skin/input/image.hpp"

#include <doctest/doctest.h>

#include "skin/core/error.hpp"
#include "support.hpp"

using skin::ImageFormat;

namespace {
ImageFormat sniff(const std::vector<std::uint8_t>& b) { return skin::sniff_format(b.data(), b.size()); }
std::string image_load_error(const std::string& path, skin::ImageLimits limits = {}) {
  return test::error_of([&] { skin::load_image(path, limits); }, skin::ErrorKind::input);
}
}  // namespace

TEST_CASE("sniff_format judges content, not names") {
  CHECK(sniff(test::read_bytes(test::image("good/baseline.jpg"))) == ImageFormat::jpeg);
  CHECK(sniff(test::read_bytes(test::image("good/png_named.jpg"))) == ImageFormat::png);
  CHECK(sniff(test::read_bytes(test::image("good/plain.bmp"))) == ImageFormat::bmp);
  CHECK(sniff(test::read_bytes(test::image("good/plain.tiff"))) == ImageFormat::tiff);
  CHECK(sniff(test::read_bytes(test::image("good/plain.webp"))) == ImageFormat::webp);
  CHECK(sniff(test::read_bytes(test::image("good/plain.ppm"))) == ImageFormat::pnm);
  CHECK(sniff(test::read_bytes(test::image("bad/text.jpg"))) == ImageFormat::unknown);
  CHECK(sniff({}) == ImageFormat::unknown);
  CHECK(sniff({0xFF, 0xD8}) == ImageFormat::unknown);  // too short to be sure
}

TEST_CASE("read_dimensions reads every supported header") {
  for (const char* name : {"good/baseline.jpg", "good/progressive.jpg", "good/plain.png", "good/plain.bmp",
                           "good/plain.tiff", "good/plain.webp", "good/plain.ppm", "good/cmyk.jpg"}) {
    CAPTURE(name);
    auto bytes = test::read_bytes(test::image(name));
    auto dims = skin::read_dimensions(sniff(bytes), bytes.data(), bytes.size());
    REQUIRE(dims.has_value());
    CHECK(dims->width == 120);
    CHECK(dims->height == 90);
  }
  SUBCASE("a header cut short gives nothing") {
    auto bytes = test::read_bytes(test::image("good/plain.png"));
    CHECK_FALSE(skin::read_dimensions(ImageFormat::png, bytes.data(), 20).has_value());
  }
}

TEST_CASE("load_image decodes every pixel format to 8-bit BGR") {
  for (const char* name :
       {"good/baseline.jpg", "good/progressive.jpg", "good/plain.png", "good/plain.bmp", "good/plain.tiff",
        "good/plain.webp", "good/plain.ppm", "good/grey.png", "good/grey.jpg", "good/alpha.png", "good/cmyk.jpg",
        "good/sixteen.png", "good/png_named.jpg", "good/no_extension"}) {
    CAPTURE(name);
    cv::Mat m = skin::load_image(test::image(name), {});
    CHECK(m.type() == CV_8UC3);
    CHECK(m.cols == 120);
    CHECK(m.rows == 90);
  }
  SUBCASE("16-bit data is scaled, not clipped") {
    cv::Mat m = skin::load_image(test::image("good/sixteen.png"), {});
    double lo, hi;
    cv::minMaxLoc(m.reshape(1), &lo, &hi);
    CHECK(hi > 200);  // the gradient reaches 238 * 257 in 16 bits
  }
  SUBCASE("CMYK is converted to the same colours") {
    cv::Mat rgb = skin::load_image(test::image("good/baseline.jpg"), {});
    cv::Mat cmyk = skin::load_image(test::image("good/cmyk.jpg"), {});
    CHECK(cv::norm(rgb, cmyk, cv::NORM_L1) / double(rgb.total() * 3) < 12.0);
  }
  SUBCASE("EXIF orientation is applied") {
    cv::Mat m = skin::load_image(test::image("good/exif_rotated.jpg"), {});
    CHECK(m.cols == 90);
    CHECK(m.rows == 120);
  }
  SUBCASE("a 1x1 image is fine") { CHECK(skin::load_image(test::image("good/one_pixel.png"), {}).total() == 1); }
}

TEST_CASE("bad images get one-line errors that name the file and the reason") {
  const std::string bad = test::image("bad/");
  CHECK(image_load_error(bad + "empty.jpg") == bad + "empty.jpg: file is empty");
  CHECK(image_load_error(bad + "truncated.jpg") == bad + "truncated.jpg: truncated jpeg (no end-of-image marker)");
  CHECK(image_load_error(bad + "text.jpg") ==
        bad + "text.jpg: not a supported image (content is not jpeg, png, bmp, tiff, webp or pnm)");
  CHECK(image_load_error(bad + "bomb.png") == bad + "bomb.png: dimensions 100000x100000 exceed the 8192x8192 limit");
  CHECK(image_load_error(bad + "huge_header.jpg") ==
        bad + "huge_header.jpg: dimensions 60000x60000 exceed the 8192x8192 limit");
  CHECK(image_load_error(bad + "zero_width.png") == bad + "zero_width.png: invalid dimensions 0x10");
  CHECK(image_load_error(bad + "corrupt_body.png") == bad + "corrupt_body.png: corrupt png data (decoder failed)");
  CHECK(image_load_error(bad + "missing.jpg") == bad + "missing.jpg: No such file or directory");
  CHECK(image_load_error(test::image("good")) == test::image("good") + ": is a directory");
  SUBCASE("limits are configurable") {
    skin::ImageLimits small;
    small.max_bytes = 100;
    CHECK(image_load_error(test::image("good/plain.png"), small).find("over the 100 byte limit") != std::string::npos);
    skin::ImageLimits narrow;
    narrow.max_width = narrow.max_height = 64;
    CHECK(image_load_error(test::image("good/plain.png"), narrow).find("exceed the 64x64 limit") != std::string::npos);
  }
}

TEST_CASE("decode errors carry the reason a caller maps to its own answer") {
  auto reason_of = [](const std::string& path, skin::ImageLimits limits = {}) {
    const auto bytes = test::read_bytes(path);
    try {
      skin::decode_image(bytes.data(), bytes.size(), path, limits);
    } catch (const skin::Error& e) {
      CHECK(e.kind() == skin::ErrorKind::input);
      return e.reason();
    }
    FAIL("decoded " << path);
    return skin::InputReason::unspecified;
  };
  const std::string bad = test::image("bad/");
  CHECK(reason_of(bad + "empty.jpg") == skin::InputReason::empty);
  CHECK(reason_of(bad + "text.jpg") == skin::InputReason::not_an_image);
  CHECK(reason_of(bad + "truncated.jpg") == skin::InputReason::undecodable);
  CHECK(reason_of(bad + "corrupt_body.png") == skin::InputReason::undecodable);
  CHECK(reason_of(bad + "bomb.png") == skin::InputReason::undecodable);
  skin::ImageLimits small;
  small.max_bytes = 100;
  CHECK(reason_of(test::image("good/plain.png"), small) == skin::InputReason::too_large);
}

TEST_CASE("large JPEGs decode at reduced scale when the model needs far fewer pixels") {
  const std::string photo = test::fixtures() + "/large/photo_1200x900.jpg";
  CHECK(skin::load_image(photo, {}).size() == cv::Size(1200, 900));
  // 900 / 4 = 225 >= 224: a quarter-scale decode still covers a 224x224 input.
  CHECK(skin::load_image(photo, {}, cv::Size(224, 224)).size() == cv::Size(300, 225));
  CHECK(skin::load_image(photo, {}, cv::Size(300, 300)).size() == cv::Size(600, 450));
  CHECK(skin::load_image(photo, {}, cv::Size(1000, 1000)).size() == cv::Size(1200, 900));
  // Only JPEG has DCT scaling; other formats decode in full.
  CHECK(skin::load_image(test::image("good/plain.png"), {}, cv::Size(8, 8)).size() == cv::Size(120, 90));
}
