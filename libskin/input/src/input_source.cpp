// input_source.cpp: lazy, deterministic expansion of inputs.
#include "skin/input/input_source.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "skin/core/error.hpp"
#include "skin/input/image.hpp"

namespace skin {
namespace fs = std::filesystem;

bool has_image_extension(const fs::path& path) {
  // Supported formats plus common image formats that are not (gif, heic, avif, ...): files
  // named like images are always reported, as results or as "not a supported image".
  static const std::array<const char*, 20> kExtensions = {".jpg",  ".jpeg", ".jpe", ".png", ".bmp", ".tif",  ".tiff",
                                                          ".webp", ".ppm",  ".pgm", ".pbm", ".gif", ".heic", ".heif",
                                                          ".avif", ".jp2",  ".jxl", ".exr", ".hdr", ".dng"};
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* e : kExtensions)
    if (ext == e) return true;
  return false;
}

bool looks_like_image_file(const fs::path& path) {
  if (has_image_extension(path)) return true;
  std::ifstream in(path, std::ios::binary);
  std::uint8_t head[16] = {};
  in.read(reinterpret_cast<char*>(head), sizeof head);
  return sniff_format(head, std::size_t(in.gcount())) != ImageFormat::unknown;
}

InputSource::InputSource(std::vector<std::string> inputs, std::istream* lines)
    : inputs_(std::move(inputs)), lines_(lines) {}

void InputSource::push_directory(const fs::path& dir, std::optional<InputItem>& error) {
  std::error_code ec;
  Frame frame;
  for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
       it.increment(ec))
    frame.entries.push_back(it->path());
  if (ec) {
    error = InputItem{dir.string(), fmt::format("{}: cannot read directory ({})", dir.string(), ec.message())};
    return;
  }
  std::sort(frame.entries.begin(), frame.entries.end());
  stack_.push_back(std::move(frame));
}

std::optional<InputItem> InputSource::expand(const std::string& path, bool explicit_input) {
  std::error_code ec;
  auto status = fs::status(path, ec);  // follows symlinks
  if (ec || !fs::exists(status)) {
    // A dangling symlink found in a walk is reported only when its name claims an image.
    if (!explicit_input && !has_image_extension(path)) return std::nullopt;
    return InputItem{path, fmt::format("{}: no such file or directory", path)};
  }
  if (fs::is_directory(status)) {
    // Directories reached through a symlink inside a walk are not entered: that is how loops start.
    if (!explicit_input && fs::is_symlink(fs::symlink_status(path, ec))) return std::nullopt;
    std::optional<InputItem> error;
    push_directory(path, error);
    return error;
  }
  if (!explicit_input) {
    // FIFOs, sockets and devices named like images are reported (the loader refuses them
    // without opening them); anything else that is neither named nor shaped like an image is
    // skipped and counted.
    bool claims_image = fs::is_regular_file(status) ? looks_like_image_file(path) : has_image_extension(path);
    if (!claims_image) {
      ++skipped_;
      return std::nullopt;
    }
  }
  return InputItem{path, {}};
}

std::optional<InputItem> InputSource::next() {
  for (;;) {
    auto item = next_unfiltered();
    if (item && exclude_.count(item->path)) {
      ++excluded_;
      continue;
    }
    return item;
  }
}

std::optional<InputItem> InputSource::next_unfiltered() {
  for (;;) {
    while (!stack_.empty()) {
      Frame& top = stack_.back();
      if (top.pos == top.entries.size()) {
        stack_.pop_back();
        continue;
      }
      fs::path entry = top.entries[top.pos++];
      if (auto item = expand(entry.string(), false)) return item;
    }
    if (reading_lines_) {
      std::string line;
      if (std::getline(*lines_, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        if (auto item = expand(line, true)) return item;
        continue;
      }
      reading_lines_ = false;
    }
    if (index_ == inputs_.size()) return std::nullopt;
    const std::string& input = inputs_[index_++];
    if (input == "-" && lines_) {
      reading_lines_ = true;
      continue;
    }
    if (auto item = expand(input, true)) return item;
  }
}

void require_images_in(const std::string& path, const std::string& option) {
  InputSource source({path});
  const auto first = source.next();
  if (!first)
    throw Error(ErrorKind::usage,
                fmt::format("{} {}: no images there ({} other files skipped)", option, path, source.skipped()));
  if (!first->error.empty()) throw Error(ErrorKind::usage, fmt::format("{} {}", option, first->error));
}

}  // namespace skin
