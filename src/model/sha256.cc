#include "model/sha256.h"

#include <openssl/evp.h>

#include "io/error.h"

namespace podpower::model {

std::array<uint8_t, 32> Sha256(std::string_view bytes) {
  std::array<uint8_t, 32> digest{};
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_sha256(),
                 nullptr) != 1 ||
      size != digest.size()) {
    throw Error("sha256: OpenSSL digest failed");
  }
  return digest;
}

}  // namespace podpower::model
