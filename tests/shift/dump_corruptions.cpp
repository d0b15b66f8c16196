// dump_corruptions: writes every corruption of one image at severities 1-5 as raw files for
// check_corruptions_reference.py: OUT/input.u8 (the decoded image), OUT/<name>_<s>.f32 (the
// floating-point stage) and OUT/<name>_<s>.u8 (the 8-bit result), all rows x cols x BGR. Prints
// rows, cols, the stream seed and the lesion geometry that ink is drawn around (centre x, y, radius).
// Usage: dump_corruptions IMAGE OUT_DIR SEED
#include <cstdio>
#include <fstream>
#include <string>

#include "skin/input/image.hpp"
#include "skin/robustness/artefacts.hpp"
#include "skin/robustness/corruptions.hpp"

namespace {
void write_raw(const std::string& path, const cv::Mat& m) {
  std::ofstream out(path, std::ios::binary);
  const cv::Mat c = m.isContinuous() ? m : m.clone();
  out.write(reinterpret_cast<const char*>(c.data), std::streamsize(c.total() * c.elemSize()));
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: dump_corruptions IMAGE OUT_DIR SEED\n");
    return 2;
  }
  const std::string out = argv[2];
  const cv::Mat image = skin::load_image(argv[1], skin::ImageLimits{});
  const std::uint64_t seed = skin::noise_seed(std::stoull(argv[3]), "reference");
  write_raw(out + "/input.u8", image);
  const skin::LesionGeometry lesion = skin::lesion_geometry(image);
  std::printf("%d %d %llu %.17g %.17g %.17g\n", image.rows, image.cols, static_cast<unsigned long long>(seed),
              lesion.cx, lesion.cy, lesion.radius);
  for (skin::Corruption c : skin::all_corruptions())
    for (int s = 1; s <= skin::kMaxSeverity; ++s) {
      const std::string stem = out + "/" + skin::corruption_name(c) + "_" + std::to_string(s);
      write_raw(stem + ".f32", skin::corrupt_float(image, c, s, seed));
      write_raw(stem + ".u8", skin::corrupt(image, c, s, seed));
    }
  return 0;
}
