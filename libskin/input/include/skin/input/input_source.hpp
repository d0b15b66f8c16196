// skin/input/input_source.hpp: lazily expands command-line inputs into image paths: files as given,
// directories walked recursively (sorted, symlinked directories not followed, so no loops),
// and "-" for paths read from a stream, one per line. Nothing is collected up front.
#pragma once
#include <filesystem>
#include <istream>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace skin {

struct InputItem {
  std::string path;
  std::string error;  // set when the input itself is unusable (missing path, unreadable directory)
};

// Error(usage) "OPTION PATH: ..." unless PATH is an image file or a folder holding at least one
// file that looks like an image (what an option that must find images checks before any work).
void require_images_in(const std::string& path, const std::string& option);

class InputSource {
 public:
  explicit InputSource(std::vector<std::string> inputs, std::istream* lines = nullptr);
  // The next item, or nothing when all inputs are exhausted.
  std::optional<InputItem> next();
  // Files skipped while walking directories because they are not images.
  std::size_t skipped() const { return skipped_; }
  // Paths to leave out (already done in a resumed run); counted by excluded().
  void exclude(std::unordered_set<std::string> paths) { exclude_ = std::move(paths); }
  std::size_t excluded() const { return excluded_; }

 private:
  struct Frame {
    std::vector<std::filesystem::path> entries;
    std::size_t pos = 0;
  };
  std::optional<InputItem> next_unfiltered();
  std::optional<InputItem> expand(const std::string& path, bool explicit_input);
  void push_directory(const std::filesystem::path& dir, std::optional<InputItem>& error);

  std::vector<std::string> inputs_;
  std::size_t index_ = 0;
  std::istream* lines_;
  bool reading_lines_ = false;
  std::vector<Frame> stack_;
  std::size_t skipped_ = 0;
  std::unordered_set<std::string> exclude_;
  std::size_t excluded_ = 0;
};

// True when a file found in a directory walk should be classified: its content starts like a
// supported image, or its extension claims it is one (so a corrupt .jpg is reported, not skipped).
bool looks_like_image_file(const std::filesystem::path& path);
bool has_image_extension(const std::filesystem::path& path);

}  // namespace skin
