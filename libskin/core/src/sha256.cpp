// sha256.cpp: SHA-256 through OpenSSL's libcrypto (EVP), files streamed in 64 KiB blocks.
#include "skin/core/sha256.hpp"

#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "skin/core/error.hpp"

#include <openssl/evp.h>

namespace skin {
namespace {

// One digest computation; `feed` calls update() with the data.
template <class Feed>
std::string digest_hex(Feed&& feed) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    throw Error(ErrorKind::io, "sha256: cannot initialise OpenSSL's digest");
  feed([&](const void* data, std::size_t size) {
    if (EVP_DigestUpdate(ctx.get(), data, size) != 1) throw Error(ErrorKind::io, "sha256: digest update failed");
  });
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest, &length) != 1) throw Error(ErrorKind::io, "sha256: digest failed");
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  return digest_hex([&](auto update) { update(data.data(), data.size()); });
}

std::string sha256_file(const std::string& path) {
  std::unique_ptr<std::FILE, decltype(&std::fclose)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) throw Error(ErrorKind::io, fmt::format("{}: cannot open", path));
  return digest_hex([&](auto update) {
    std::unique_ptr<char[]> block(new char[1 << 16]);
    std::size_t n;
    while ((n = std::fread(block.get(), 1, 1 << 16, file.get())) > 0) update(block.get(), n);
    if (std::ferror(file.get())) throw Error(ErrorKind::io, fmt::format("{}: read failed", path));
  });
}

}  // namespace skin
