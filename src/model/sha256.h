// SHA-256 of a byte range (OpenSSL EVP), as 32 raw bytes. Thread-safe; throws
// podpower::Error only if OpenSSL itself fails.
#ifndef PODPOWER_MODEL_SHA256_H_
#define PODPOWER_MODEL_SHA256_H_

#include <array>
#include <cstdint>
#include <string_view>

namespace podpower::model {

std::array<uint8_t, 32> Sha256(std::string_view bytes);

}  // namespace podpower::model

#endif  // PODPOWER_MODEL_SHA256_H_
