// skin/core/error.hpp: the one error type of libskin; the kind tells callers how to react.
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

// Why an input item was refused, for callers that answer differently per cause (the HTTP server
// maps these to 400, 413, 415 and 422) without repeating the checks that found it.
enum class InputReason {
  unspecified,
  empty,         // no bytes at all
  too_large,     // over the byte limit
  not_an_image,  // content is no supported image format
  undecodable,   // an image format, but truncated, corrupt or over the dimension limit
};

// Messages are lowercase, one line, and start with the file they concern: "a.jpg: file is empty".
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message, InputReason reason = InputReason::unspecified)
      : std::runtime_error(message), kind_(kind), reason_(reason) {}
  ErrorKind kind() const noexcept { return kind_; }
  InputReason reason() const noexcept { return reason_; }

 private:
  ErrorKind kind_;
  InputReason reason_;
};

}  // namespace skin
