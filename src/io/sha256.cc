#include "io/sha256.h"

#include <openssl/evp.h>

#include "io/error.h"

namespace podpower::io {

std::array<uint8_t, 32> Sha256(std::string_view bytes, std::string_view where) {
  std::array<uint8_t, 32> digest{};
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &len, EVP_sha256(),
                 nullptr) != 1 ||
      len != digest.size()) {
    throw Error(where.empty() ? std::string("sha256 failed")
                              : std::string(where) + ": sha256 failed");
  }
  return digest;
}

std::string Sha256Hex(std::string_view bytes, std::string_view where) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(64);
  for (uint8_t b : Sha256(bytes, where)) {
    hex += kHex[b >> 4];
    hex += kHex[b & 0xf];
  }
  return hex;
}

}  // namespace podpower::io
