// The sentence-model text block end to end on a small random BERT folder: the
// features' text block is exactly what the sentence encoder returns, the
// embedding cache is written and reused, and transform refuses other weights.
#include <gtest/gtest.h>

#include <filesystem>

#include "encode/encode_files.h"
#include "encode/encoder.h"
#include "encode/text_bundle.h"
#include "io/error.h"
#include "io/parquet.h"
#include "io/temp_dir.h"
#include "text/random_model.h"
#include "text/sentence_encoder.h"

namespace podpower::encode {
namespace {

namespace fs = std::filesystem;
const std::string kRecords =
    std::string(PODPOWER_SOURCE_DIR) +
    "/examples/data/cluster-b/inference_requests.ndjson";

TEST(SentenceEmbedder, text_block_equals_sentence_encoder_and_cache_is_reused) {
  const std::string dir = io::MakeTempDir("podpower-sbert");
  text::RandomModelSpec spec;
  spec.words = {"kube",     "system",     "coredns",    "nginx",
                "ingress",  "controller", "deployment", "job",
                "registry", "k8s",        "io"};
  text::WriteRandomModelFolder(dir + "/model", spec);

  FitOptions fit;
  fit.input = kRecords;
  fit.encoder = dir + "/enc.ppenc";
  fit.text = TextChoice::kSentenceModel;
  fit.sbert_model = dir + "/model";
  fit.embedding_cache = dir + "/cache.parquet";
  Encoder encoder = FitEncoderFiles(fit);
  EXPECT_EQ(encoder.text_info().name, "sbert");
  EXPECT_EQ(encoder.text_info().dim, 32u);

  TransformOptions transform;
  transform.input = kRecords;
  transform.encoder = fit.encoder;
  transform.out = dir + "/features.parquet";
  transform.sbert_model = fit.sbert_model;
  transform.embedding_cache = fit.embedding_cache;
  const size_t rows = TransformFiles(transform);
  ASSERT_TRUE(fs::exists(transform.embedding_cache));
  const size_t cached = io::ReadParquet(transform.embedding_cache).rows();
  EXPECT_GT(cached, 0u);
  // A second transform finds every text in the cache and adds nothing.
  TransformFiles(transform);
  EXPECT_EQ(io::ReadParquet(transform.embedding_cache).rows(), cached);

  auto records = io::ReadInferenceRequests(kRecords).records;
  ASSERT_EQ(rows, records.size());
  auto model = text::SentenceEncoder::Load(fit.sbert_model, 1);
  std::vector<std::string> texts;
  for (const auto& r : records) texts.push_back(TextBundle(r));
  auto expected = model->Embed(texts);
  io::Table table = io::ReadParquet(transform.out);
  const auto& features = table.Require("features", io::ColumnType::kFloatList);
  const size_t text_start = encoder.dim() - 32;
  // Exact, not toleranced: transform embedded (and cached) the texts in other
  // batches, on other threads, than this one-thread Embed, and a text's vector
  // does not depend on its batch (docs/formats/text.md, "Same text, same
  // vector").
  for (size_t i = 0; i < rows; ++i) {
    auto row = features.list(i);
    ASSERT_EQ(row.size(), encoder.dim());
    for (size_t j = 0; j < 32; ++j) {
      EXPECT_EQ(row[text_start + j], expected[i][j]) << i << "," << j;
    }
  }

  // Other weights (another seed) are refused by transform, naming the model.
  spec.seed = 2;
  text::WriteRandomModelFolder(dir + "/other", spec);
  transform.sbert_model = dir + "/other";
  transform.embedding_cache = "";
  transform.out = dir + "/other.parquet";
  EXPECT_THROW(TransformFiles(transform), Error);
  EXPECT_FALSE(fs::exists(transform.out));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace podpower::encode
