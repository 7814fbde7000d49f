// The real all-MiniLM-L6-v2 against published sentence-transformers outputs.
// Runs when PODPOWER_MINILM_DIR points at the model folder (git clone of
// huggingface.co/sentence-transformers/all-MiniLM-L6-v2 with git-lfs;
// docs/formats/text.md); otherwise the model tests skip and say so. Oracles:
// values quoted in sentence-transformers-reference.md section 7 and the 384
// text dims of examples/data/cluster-a/features.parquet, written by the
// original Python encoder.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "io/inference_request.h"
#include "io/parquet.h"
#include "text/sentence_encoder.h"

namespace podpower::text {
namespace {

const std::string kData =
    std::string(PODPOWER_SOURCE_DIR) + "/examples/data/cluster-a";

// The original encoder's text bundle (reference/inference-request.md, "The
// encoder"), written here from the rules so this test does not depend on the
// encode stage.
std::string TextBundle(const io::InferenceRequest& r) {
  std::vector<std::string> parts;
  if (!r.workload_kind.empty())
    parts.push_back("workload_kind:" + r.workload_kind);
  if (!r.workload_name.empty())
    parts.push_back("workload_name:" + r.workload_name);
  for (const auto& [k, v] : r.labels) parts.push_back("label:" + k + "=" + v);
  for (const auto& [k, v] : r.annotations)
    parts.push_back("ann:" + k + "=" + v);
  auto joined = [](const std::optional<std::vector<std::string>>& list) {
    std::string s;
    if (!list) return s;
    for (size_t i = 0; i < list->size(); ++i) s += (i ? " " : "") + (*list)[i];
    return s;
  };
  for (const auto& c : r.containers) {
    if (!c.image.empty()) parts.push_back("image:" + c.image);
    if (auto s = joined(c.command); !s.empty()) parts.push_back("command:" + s);
    if (auto s = joined(c.args); !s.empty()) parts.push_back("args:" + s);
  }
  if (parts.empty()) return "empty";
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? " | " : "") + parts[i];
  return out;
}

struct ClusterARow {
  std::string text;
  std::vector<float> text_dims;  // the last 384 features
};

// Feature rows whose _spec_hash belongs to a record in encoded_records.ndjson.
std::vector<ClusterARow> ClusterARows() {
  auto records =
      io::ReadInferenceRequests(kData + "/encoded_records.ndjson").records;
  std::map<std::string, std::string> text_by_hash;
  for (const auto& r : records) text_by_hash[io::SpecHash(r)] = TextBundle(r);
  io::Table features = io::ReadParquet(kData + "/features.parquet");
  const auto& hash = features.Require("_spec_hash", io::ColumnType::kString);
  const auto& vec = features.Require("features", io::ColumnType::kFloatList);
  std::vector<ClusterARow> rows;
  for (size_t i = 0; i < features.rows(); ++i) {
    auto it = text_by_hash.find(hash.strings[i]);
    if (it == text_by_hash.end()) continue;
    auto list = vec.list(i);
    rows.push_back(
        {it->second, std::vector<float>(list.end() - 384, list.end())});
  }
  return rows;
}

double Cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ab += static_cast<double>(a[i]) * b[i];
    aa += static_cast<double>(a[i]) * a[i];
    bb += static_cast<double>(b[i]) * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

TEST(ClusterAText, every_encoded_record_has_feature_rows_with_unit_text_dims) {
  // Runs without the model: pins the join the model test relies on.
  auto rows = ClusterARows();
  ASSERT_GE(rows.size(), 3u)
      << "each of the 3 records should match at least one feature row";
  for (const auto& r : rows) {
    double norm = 0;
    for (float f : r.text_dims) norm += static_cast<double>(f) * f;
    EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-5) << r.text;
  }
}

class MiniLm : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("PODPOWER_MINILM_DIR");
    if (!dir || !*dir)
      GTEST_SKIP() << "PODPOWER_MINILM_DIR is not set: point it at a git clone "
                      "(with git-lfs) of "
                      "sentence-transformers/all-MiniLM-L6-v2 to run the "
                      "real-model checks";
    if (!encoder_) encoder_ = SentenceEncoder::Load(dir, 0).release();
  }
  static SentenceEncoder* encoder_;
};
SentenceEncoder* MiniLm::encoder_ = nullptr;

TEST_F(MiniLm, shapes_and_the_256_token_limit) {
  EXPECT_EQ(encoder_->dim(), 384);
  EXPECT_EQ(encoder_->max_seq_length(),
            256);  // sentence_bert_config.json, not tokenizer.json's 128
  EXPECT_EQ(encoder_->Tokenize("hello world"),
            (std::vector<int32_t>{101, 7592, 2088, 102}));
  EXPECT_EQ(encoder_->Tokenize("camelCase"),
            (std::vector<int32_t>{101, 19130, 18382, 102}));
}

TEST_F(MiniLm, hello_world_matches_published_values) {
  const std::vector<float> want = {-0.03447726f, 0.03102319f, 0.00673499f,
                                   0.02610895f, -0.03936201f};
  auto v = encoder_->Embed({"Hello world"})[0];
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(v[i], want[i], 1e-4) << "dim " << i;
}

TEST_F(MiniLm, quackformers_golden_vectors) {
  // sentence-transformers 3.4.1 outputs (first values), normalised, batch
  // size 1.
  const std::vector<std::pair<std::string, std::vector<float>>> cases = {
      {"The quick brown fox jumps over the lazy dog.",
       {0.04393357f, 0.05893443f, 0.04817837f, 0.07754804f, 0.02674444f,
        -0.03762966f, -0.00260507f, -0.05994307f}},
      {"¿Cuál es la capital de Chile? Santiago está en el valle central.",
       {0.09103806f, -0.03076056f, -0.05379625f, 0.0489096f, 0.0661739f,
        -0.03296563f, -0.04950254f, 0.03910619f}},
      {"東京は日本の首都です。",
       {0.11928145f, 0.08734264f, 0.08490103f, -0.02434367f, -0.04235233f,
        0.03511044f, 0.08224258f, -0.00111729f}},
      {"",
       {-0.11883844f, 0.04829872f, -0.00254808f, -0.01101116f, 0.05195078f,
        0.01029177f, 0.11543325f, 0.00070079f}},
      {"Short row.",
       {0.00501098f, 0.07788376f, -0.04934932f, -0.01589251f, -0.03487963f,
        0.05230996f}}};
  std::vector<std::string> texts;
  for (const auto& c : cases) texts.push_back(c.first);
  auto got = encoder_->Embed(texts);
  for (size_t k = 0; k < cases.size(); ++k)
    for (size_t i = 0; i < cases[k].second.size(); ++i)
      EXPECT_NEAR(got[k][i], cases[k].second[i], 1e-4)
          << cases[k].first << " dim " << i;
  EXPECT_EQ(encoder_->Tokenize(cases[0].first).size(), 12u);
  EXPECT_EQ(encoder_->Tokenize(cases[1].first).size(), 19u);
  EXPECT_EQ(encoder_->Tokenize(cases[2].first).size(), 13u);
}

TEST_F(MiniLm, tei_what_is_deep_learning_direction) {
  // TEI candle snapshot (unnormalised, norm 7.580909); first 16 dims, tolerance
  // ~1e-3 raw.
  const std::vector<float> raw = {
      -0.59059864f, -0.25252345f, 0.14972475f,  0.05487579f,
      -0.11783009f, -0.16678402f, -0.23309596f, -0.07095148f,
      -0.1996679f,  -0.29578373f, -0.7731901f,  0.14408088f,
      -0.29074174f, -0.18554585f, -0.9092755f,  -0.020074653f};
  auto v = encoder_->Embed({"What is Deep Learning?"})[0];
  for (size_t i = 0; i < raw.size(); ++i)
    EXPECT_NEAR(v[i] * 7.580909f, raw[i], 1e-3) << i;
}

TEST_F(MiniLm, cluster_a_text_dims_match_the_original_encoder) {
  auto rows = ClusterARows();
  std::vector<std::string> texts;
  for (const auto& r : rows) texts.push_back(r.text);
  auto got = encoder_->Embed(texts);
  for (size_t i = 0; i < rows.size(); ++i)
    EXPECT_GE(Cosine(got[i], rows[i].text_dims), 0.9999) << rows[i].text;
}

}  // namespace
}  // namespace podpower::text
