// skin/error.hpp: the one error type of libskin; the kind tells callers how to react.
#pragma once
#include <stdexcept>
#include <string>

namespace skin {

enum class ErrorKind {
  usage,  // bad arguments or options
  model,  // model directory, manifest or TorchScript file unusable
  input,  // one input item (image, CSV row) unusable; batch work records it and goes on
  io,     // reading or writing a file failed
};

// Messages are lowercase, one line, and start with the file they concern: "a.jpg: file is empty".
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace skin
