#include "io/sha256.h"

#include <openssl/evp.h>

#include "io/error.h"

namespace podpower::io {

std::string Sha256Hex(std::string_view bytes, std::string_view where) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(),
                 nullptr) != 1) {
    throw Error(where.empty() ? std::string("sha256 failed")
                              : std::string(where) + ": sha256 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

}  // namespace podpower::io
