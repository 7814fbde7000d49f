// The bearer token file: what it accepts, how it fails, and rotation.
#include "serve/bearer_auth.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "io/error.h"
#include "serve/test_fixture.h"

namespace podpower::serve {
namespace {

using testing::TempDir;

TEST(BearerTokenFile, accepts_only_the_token_under_the_bearer_scheme) {
  TempDir dir;
  { std::ofstream(dir.File("t")) << "  abc123\n"; }
  BearerTokenFile auth(dir.File("t"));
  EXPECT_TRUE(auth.Accepts("Bearer abc123"));
  EXPECT_TRUE(auth.Accepts("bearer abc123"));
  EXPECT_FALSE(auth.Accepts(""));
  EXPECT_FALSE(auth.Accepts("Bearer "));
  EXPECT_FALSE(auth.Accepts("Bearer abc12"));
  EXPECT_FALSE(auth.Accepts("Bearer abc1234"));
  EXPECT_FALSE(auth.Accepts("Basic abc123"));
  EXPECT_FALSE(auth.Accepts("Bearerabc123"));
}

TEST(BearerTokenFile, missing_or_empty_file_is_named_without_its_content) {
  TempDir dir;
  try {
    BearerTokenFile auth(dir.File("missing"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir.File("missing")),
              std::string::npos)
        << e.what();
  }
  { std::ofstream(dir.File("empty")) << " \n"; }
  EXPECT_THROW(BearerTokenFile(dir.File("empty")), Error);
}

TEST(BearerTokenFile,
     rotated_file_replaces_the_token_and_an_empty_one_does_not) {
  TempDir dir;
  { std::ofstream(dir.File("t")) << "first"; }
  BearerTokenFile auth(dir.File("t"));
  EXPECT_TRUE(auth.Accepts("Bearer first"));
  { std::ofstream(dir.File("t")) << "second-token"; }  // another size
  EXPECT_TRUE(auth.Accepts("Bearer second-token"));
  EXPECT_FALSE(auth.Accepts("Bearer first"));
  { std::ofstream(dir.File("t")) << ""; }  // half-written Secret update
  EXPECT_TRUE(auth.Accepts("Bearer second-token"));
}

}  // namespace
}  // namespace podpower::serve
