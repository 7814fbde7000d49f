// safetensors parsing and the half-precision conversions, against the format's
// specification and IEEE 754 bit patterns.
#include "text/safetensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "io/error.h"
#include "io/temp_dir.h"

namespace podpower::text {
namespace {

class Safetensors : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = io::MakeTempDir("podpower-st"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A file with `header` (padded to 8) and `data_bytes` zero bytes of data.
  std::string Raw(const std::string& header, size_t data_bytes,
                  int64_t length_override = -1) {
    std::string path = (dir_ / "raw.safetensors").string();
    std::ofstream out(path, std::ios::binary);
    uint64_t n = length_override >= 0 ? static_cast<uint64_t>(length_override)
                                      : header.size();
    for (int i = 0; i < 8; ++i)
      out.put(static_cast<char>((n >> (8 * i)) & 0xff));
    out << header << std::string(data_bytes, '\0');
    return path;
  }

  std::string ErrorOf(const std::string& path) {
    try {
      SafetensorsFile::Open(path);
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
      EXPECT_EQ(std::string(e.what()).rfind(path, 0), 0u)
          << "names the file: " << e.what();
      return e.what();
    }
    return "no error";
  }

  std::filesystem::path dir_;
};

TEST_F(Safetensors, written_f32_and_f16_tensors_read_back) {
  const std::string path = (dir_ / "m.safetensors").string();
  WriteSafetensors(path, {{"a", {2, 3}, {1, 2, 3, 4, 5, 6}, false},
                          {"b", {3}, {0.5f, -2.0f, 65504.0f}, true}});
  auto f = SafetensorsFile::Open(path);
  EXPECT_EQ(f->tensors().size(), 2u);
  EXPECT_EQ(f->Find("b")->dtype, "F16");
  EXPECT_EQ(f->ReadFloats("a", {2, 3}), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(f->ReadFloats("b", {3}),
            (std::vector<float>{0.5f, -2.0f, 65504.0f}));
  // The layout: u64 LE header length, JSON header starting with '{', then data.
  std::ifstream in(path, std::ios::binary);
  unsigned char len[8];
  in.read(reinterpret_cast<char*>(len), 8);
  EXPECT_EQ(in.get(), '{');
  EXPECT_EQ(len[0] % 8, 0) << "header padded to 8 bytes";
}

TEST_F(Safetensors, half_conversion_matches_ieee_bit_patterns) {
  EXPECT_EQ(HalfToFloat(0x3C00), 1.0f);
  EXPECT_EQ(HalfToFloat(0xC000), -2.0f);
  EXPECT_EQ(HalfToFloat(0x7BFF), 65504.0f);
  EXPECT_EQ(HalfToFloat(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(HalfToFloat(0x0400), std::ldexp(1.0f, -14));  // smallest normal
  EXPECT_TRUE(std::isinf(HalfToFloat(0x7C00)));
  EXPECT_TRUE(std::isnan(HalfToFloat(0x7E00)));
  EXPECT_EQ(FloatToHalf(1.0f), 0x3C00);
  EXPECT_EQ(FloatToHalf(0.1f), 0x2E66);  // 0.0999755859375, nearest half to 0.1
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(FloatToHalf(1e6f), 0x7C00);
  EXPECT_EQ(FloatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3C00);  // tie -> even
  EXPECT_EQ(Bfloat16ToFloat(0x3F80), 1.0f);
  EXPECT_EQ(Bfloat16ToFloat(0xC040), -3.0f);
}

TEST_F(Safetensors, wrong_shape_and_wrong_dtype_name_the_tensor) {
  const std::string path = Raw(
      R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"i":{"dtype":"I64","shape":[1],"data_offsets":[8,16]}})",
      16);
  auto f = SafetensorsFile::Open(path);
  try {
    f->ReadFloats("w", {3});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              path + ": tensor 'w' has shape [2], expected [3]");
  }
  try {
    f->ReadFloats("i", {1});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tensor 'i' has dtype I64"),
              std::string::npos);
  }
  try {
    f->ReadFloats("missing", {1});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), path + ": tensor 'missing' missing");
  }
}

TEST_F(Safetensors, corrupt_headers_are_one_line_errors) {
  EXPECT_NE(
      ErrorOf(Raw("", 0, 1'000'000)).find("header length 1000000 exceeds"),
      std::string::npos);
  EXPECT_NE(ErrorOf(Raw("[1,2]   ", 0)).find("does not start with '{'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Raw("{not json}", 0)).find("not a JSON object"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf(
          Raw(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8))
          .find("needs 12 bytes, offsets give 8"),
      std::string::npos);
  EXPECT_NE(
      ErrorOf(
          Raw(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4))
          .find("outside the 4-byte buffer"),
      std::string::npos);
  EXPECT_NE(
      ErrorOf(
          Raw(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8))
          .find("hole"),
      std::string::npos);
  EXPECT_NE(
      ErrorOf(
          Raw(R"({"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}})", 1))
          .find("unknown dtype 'Q4'"),
      std::string::npos);
  EXPECT_NE(
      ErrorOf(
          Raw(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 8))
          .find("trailing bytes"),
      std::string::npos);
  const std::string tiny = (dir_ / "tiny").string();
  std::ofstream(tiny) << "abc";
  EXPECT_NE(ErrorOf(tiny).find("shorter than the 8-byte length prefix"),
            std::string::npos);
}

TEST_F(Safetensors, git_lfs_pointer_says_to_pull) {
  const std::string path = (dir_ / "model.safetensors").string();
  std::ofstream(path) << "version https://git-lfs.github.com/spec/v1\noid "
                         "sha256:abc\nsize 90868376\n";
  EXPECT_NE(ErrorOf(path).find("git lfs pull"), std::string::npos);
}

TEST_F(Safetensors, missing_file_is_an_error) {
  EXPECT_NE(ErrorOf((dir_ / "nope.safetensors").string()).find("cannot open"),
            std::string::npos);
}

}  // namespace
}  // namespace podpower::text
