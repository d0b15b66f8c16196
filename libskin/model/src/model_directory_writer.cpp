// model_directory_writer.cpp: model directories written in a private staging folder and renamed into place.
#include "skin/model/model_directory_writer.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "skin/core/error.hpp"

#include <stdlib.h>

namespace skin {
namespace fs = std::filesystem;

namespace {

// A new, empty, uniquely named folder PREFIX-XXXXXX.
std::string make_unique_folder(const std::string& prefix) {
  std::string pattern = prefix + "-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (!::mkdtemp(buffer.data()))
    throw Error(ErrorKind::io, fmt::format("{}: cannot create ({})", pattern, std::strerror(errno)));
  return buffer.data();
}

}  // namespace

ModelDirectoryWriter::ModelDirectoryWriter(const std::string& target) : target_(target) {
  std::string clean = target_;
  while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
  target_ = clean;
  std::error_code ec;
  const fs::path parent = fs::path(target_).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  staging_ = make_unique_folder(target_ + ".partial");
}

ModelDirectoryWriter::~ModelDirectoryWriter() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);
}

std::string ModelDirectoryWriter::path(const std::string& file) const { return (fs::path(staging_) / file).string(); }

void ModelDirectoryWriter::commit(bool replace) {
  std::error_code ec;
  const bool exists = fs::exists(target_, ec);
  std::string aside;
  if (exists && fs::is_directory(target_, ec) && fs::is_empty(target_, ec)) {
    fs::remove(target_, ec);
  } else if (exists) {
    if (!replace)
      throw Error(ErrorKind::usage, fmt::format("{}: already holds a model (use --force to replace it)", target_));
    aside = make_unique_folder(target_ + ".old");
    fs::rename(target_, fs::path(aside) / "model", ec);
    if (ec) throw Error(ErrorKind::io, fmt::format("{}: cannot move the old model aside ({})", target_, ec.message()));
  }
  fs::rename(staging_, target_, ec);
  if (ec)
    throw Error(ErrorKind::io, fmt::format("{}: cannot move the new model into place ({})", target_, ec.message()));
  committed_ = true;
  if (!aside.empty()) fs::remove_all(aside, ec);
}

}  // namespace skin
