// output_file.cpp: checked, atomic file output.
#include "skin/core/output_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "skin/core/error.hpp"

namespace skin {

OutputFile::OutputFile(const std::string& path) : path_(path) {
  if (path_.empty() || path_ == "-") {
    path_ = "-";
    file_ = stdout;
    return;
  }
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    // A device or FIFO (/dev/stdout, /dev/full, a named pipe): nothing to replace, write through.
    direct_ = true;
    file_ = std::fopen(path_.c_str(), "wb");
  } else {
    file_ = std::fopen(partial_path().c_str(), "wb");
  }
  if (!file_) throw Error(ErrorKind::io, fmt::format("{}: cannot create file ({})", path_, std::strerror(errno)));
}

void check_writable(const std::string& path) {
  if (path.empty() || path == "-") return;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw Error(ErrorKind::io, fmt::format("{}: cannot create file (Is a directory)", path));
    if (!S_ISREG(st.st_mode)) return;  // a device or FIFO, written in place
  }
  const auto slash = path.find_last_of('/');
  const std::string folder = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  if (::access(folder.c_str(), W_OK | X_OK) != 0)
    throw Error(ErrorKind::io, fmt::format("{}: cannot create file ({})", path, std::strerror(errno)));
}

void append_or_write(const std::string& path, std::string_view content) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    write_file_atomically(path, content);
    return;
  }
  std::FILE* f = std::fopen(path.c_str(), "ab");
  if (!f) throw Error(ErrorKind::io, fmt::format("{}: cannot open for appending ({})", path, std::strerror(errno)));
  const bool written = std::fwrite(content.data(), 1, content.size(), f) == content.size() && std::fflush(f) == 0;
  const int err = errno;
  if (std::fclose(f) != 0 || !written)
    throw Error(ErrorKind::io, fmt::format("{}: write failed ({})", path, std::strerror(written ? errno : err)));
}

OutputFile::~OutputFile() {
  if (file_ == stdout) {
    std::fflush(stdout);
    return;
  }
  if (file_) std::fclose(file_);
  if (!committed_ && !keep_partial_ && !direct_) std::remove(partial_path().c_str());
}

void OutputFile::fail(const std::string& what, int err) {
  throw Error(ErrorKind::io, fmt::format("{}: {} ({})", path_ == "-" ? "stdout" : path_, what, std::strerror(err)));
}

void OutputFile::write(std::string_view text) {
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size()) fail("write failed", errno);
}

void OutputFile::flush() {
  if (std::fflush(file_) != 0 || std::ferror(file_)) fail("write failed", errno ? errno : EIO);
}

void OutputFile::commit() {
  flush();
  if (file_ == stdout) return;
  if (::fsync(fileno(file_)) != 0 && errno != EINVAL && errno != EROFS) fail("sync failed", errno);
  if (std::fclose(file_) != 0) {
    file_ = nullptr;
    fail("close failed", errno);
  }
  file_ = nullptr;
  if (!direct_ && std::rename(partial_path().c_str(), path_.c_str()) != 0)
    fail("cannot move the finished file into place", errno);
  committed_ = true;
}

void write_file_atomically(const std::string& path, std::string_view content) {
  OutputFile out(path);
  out.write(content);
  out.commit();
}

}  // namespace skin
