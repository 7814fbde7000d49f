// Sha256Hex against the published test vectors of FIPS 180-2 / NIST CSRC
// (not against OpenSSL's own output).
#include "io/sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace podpower::io {
namespace {

TEST(Sha256Hex, matches_the_fips_180_2_test_vectors) {
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(
      Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1'000'000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Hex, hashes_embedded_nul_bytes) {
  // One NUL byte: differs from the empty string's digest.
  EXPECT_EQ(Sha256Hex(std::string_view("\0", 1)),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
}

}  // namespace
}  // namespace podpower::io
