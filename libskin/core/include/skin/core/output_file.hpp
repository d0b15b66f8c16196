// skin/core/output_file.hpp: report output that never leaves a half-written file in place of a good
// one. Data goes to PATH.partial and is renamed over PATH only by commit(); stdout when PATH is
// empty or "-"; devices and FIFOs (/dev/stdout, a named pipe) are written in place. Every write
// is checked, so a full disk is an error, not a silent truncation.
#pragma once
#include <cstdio>
#include <string>
#include <string_view>

namespace skin {

class OutputFile {
 public:
  explicit OutputFile(const std::string& path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void write(std::string_view text);
  // Pushes buffered data to the file (so an interrupted run keeps what was written).
  void flush();
  // Flushes, syncs and renames PATH.partial to PATH.
  void commit();
  // Leaves PATH.partial in place instead of deleting it when the object dies uncommitted.
  void keep_partial() { keep_partial_ = true; }

  bool is_stdout() const { return file_ == stdout; }
  std::string partial_path() const { return path_ + ".partial"; }

 private:
  [[noreturn]] void fail(const std::string& what, int err);
  std::string path_;
  std::FILE* file_ = nullptr;
  bool committed_ = false;
  bool keep_partial_ = false;
  bool direct_ = false;  // PATH is a device or FIFO: written in place
};

// Error(io) "PATH: cannot create file (REASON)" unless PATH could be written now: its folder
// exists and is writable (and PATH, if it exists, is not a folder). Lets a command refuse an
// unwritable output before its work instead of after it; "-" and empty (stdout) always pass.
void check_writable(const std::string& path);

// Appends to PATH when it exists (a CI job summary file that other steps also write), otherwise
// writes it atomically; every write checked, Error(io) naming the file.
void append_or_write(const std::string& path, std::string_view content);

// Writes a whole file atomically (temp file in the same directory, fsync, rename).
void write_file_atomically(const std::string& path, std::string_view content);

}  // namespace skin
