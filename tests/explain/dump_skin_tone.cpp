// dump_skin_tone: skinscan's skin-tone measurement of one image, for check_skin_tone.py: writes
// OUT/working.png (the working copy), OUT/lesion.png and OUT/dark.png (masks), OUT/lab.bin (the
// working copy's CIELAB, float64 L*, a*, b* per pixel, row-major) and OUT/result.json.
// Usage: dump_skin_tone IMAGE OUTDIR
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "skin/input/skin_tone.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: dump_skin_tone IMAGE OUTDIR\n");
    return 2;
  }
  const cv::Mat image = cv::imread(argv[1], cv::IMREAD_COLOR);
  if (image.empty()) {
    std::fprintf(stderr, "%s: cannot read\n", argv[1]);
    return 1;
  }
  const std::string out = argv[2];
  const cv::Mat working = skin::skin_tone_working_image(image);
  const cv::Mat lab = skin::srgb_to_lab(working);
  const skin::ToneMasks masks = skin::skin_tone_masks(lab);
  cv::imwrite(out + "/working.png", working);
  cv::imwrite(out + "/lesion.png", masks.lesion);
  cv::imwrite(out + "/dark.png", masks.dark);
  std::ofstream bin(out + "/lab.bin", std::ios::binary);
  for (int y = 0; y < lab.rows; ++y) bin.write(reinterpret_cast<const char*>(lab.ptr<double>(y)), lab.cols * 3 * 8);
  const auto tone = skin::measure_skin_tone(image);
  nlohmann::json result = {{"rows", lab.rows}, {"cols", lab.cols}, {"otsu_l", masks.otsu_l}};
  if (tone) result.update({{"ita", tone->ita}, {"category", tone->category}, {"skin_share", tone->skin_share}});
  std::ofstream(out + "/result.json") << result.dump();
  return 0;
}
