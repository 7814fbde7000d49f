// SHA-256, the digest every podpower file format and key uses (_spec_hash,
// artifact checksums, embedding-cache keys, model fingerprints).
//
// Stateless and thread-safe (OpenSSL's one-shot EVP_Digest).
#ifndef PODPOWER_IO_SHA256_H_
#define PODPOWER_IO_SHA256_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace podpower::io {

// The 32 raw bytes of SHA-256(bytes). Throws podpower::Error
// "<where>: sha256 failed" (just "sha256 failed" when `where` is empty) if
// OpenSSL cannot compute it (out of memory).
std::array<uint8_t, 32> Sha256(std::string_view bytes,
                               std::string_view where = {});

// The same digest as 64 lowercase hex characters.
std::string Sha256Hex(std::string_view bytes, std::string_view where = {});

}  // namespace podpower::io

#endif  // PODPOWER_IO_SHA256_H_
