// The embedding cache returns exactly the encoder's vectors, computes each
// distinct text once, survives a Parquet round trip, keeps other models' rows,
// and rejects a malformed file.
#include "text/embedding_cache.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "io/error.h"
#include "io/parquet.h"
#include "io/temp_dir.h"
#include "text/random_model.h"

namespace podpower::text {
namespace {

class EmbeddingCacheTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(io::MakeTempDir("podpower-embedding-cache-test"));
    WriteRandomModelFolder(*dir_ + "/model", RandomModelSpec{});
    encoder_ = SentenceEncoder::Load(*dir_ + "/model", 1).release();
  }
  static void TearDownTestSuite() {
    delete encoder_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  static std::string* dir_;
  static SentenceEncoder* encoder_;
};
std::string* EmbeddingCacheTest::dir_ = nullptr;
SentenceEncoder* EmbeddingCacheTest::encoder_ = nullptr;

// A cache file with one row, written by the Parquet writer rather than by the
// cache, so the tests control exactly what the cache reads.
void WriteOneRowCache(const std::string& path, const std::string& text_sha256,
                      const std::string& model_fingerprint,
                      const std::vector<float>& embedding) {
  io::Table t;
  t.AddColumn("text_sha256", io::ColumnType::kString);
  t.AddColumn("model_fingerprint", io::ColumnType::kString);
  t.AddColumn("embedding", io::ColumnType::kFloatList);
  t.columns()[0].AppendString(text_sha256);
  t.columns()[1].AppendString(model_fingerprint);
  t.columns()[2].AppendFloatList(std::span<const float>(embedding));
  io::WriteParquet(t, path);
}

TEST_F(EmbeddingCacheTest, text_sha256_is_the_standard_digest) {
  // FIPS 180-2 test vector.
  EXPECT_EQ(EmbeddingCache::TextSha256("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(EmbeddingCacheTest, repeats_are_computed_once_and_equal_the_encoder) {
  EmbeddingCache cache(*encoder_, "");
  auto first = cache.Embed({"hello world", "pod", "hello world"});
  EXPECT_EQ(cache.misses(), 2u);
  auto again = cache.Embed({"pod"});
  EXPECT_EQ(cache.hits(), 1u);
  auto direct = encoder_->Embed({"hello world", "pod"});
  EXPECT_EQ(first[0], direct[0]);
  EXPECT_EQ(first[2], direct[0]);
  EXPECT_EQ(again[0], direct[1]);
}

TEST_F(EmbeddingCacheTest, parquet_round_trip_keeps_vectors_and_other_models) {
  const std::string path = *dir_ + "/cache.parquet";
  WriteOneRowCache(path, EmbeddingCache::TextSha256("pod"), "another-model",
                   {1, 2, 3});
  std::vector<std::vector<float>> want;
  {
    EmbeddingCache cache(*encoder_, path);
    want = cache.Embed({"pod", "nginx image"});
    EXPECT_EQ(cache.misses(), 2u)
        << "the other model's row for 'pod' must not be used";
    cache.Save();
  }
  EmbeddingCache reread(*encoder_, path);
  EXPECT_EQ(reread.Embed({"pod", "nginx image"}), want);
  EXPECT_EQ(reread.hits(), 2u);
  EXPECT_EQ(reread.misses(), 0u);
  EXPECT_EQ(io::ReadParquet(path).rows(), 3u);
}

TEST_F(EmbeddingCacheTest, wrong_length_vector_for_this_model_is_an_error) {
  const std::string path = *dir_ + "/bad.parquet";
  WriteOneRowCache(path, "00", encoder_->fingerprint(), {1, 2});
  try {
    EmbeddingCache cache(*encoder_, path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), path +
                                         ": row 1: field 'embedding' has 2 "
                                         "values, expected 32 for this model");
  }
}

}  // namespace
}  // namespace podpower::text
