// The encoder against Python: scikit-learn's StandardScaler/OneHotEncoder (what
// the original used), an independent Python implementation of the documented
// hashed-token embedding, and a Python reader of the artifact that uses only
// the documented layout.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "encode/encoder.h"
#include "encode/synthetic_requests.h"
#include "encode/text_bundle.h"
#include "io/testing.h"

namespace podpower::encode {
namespace {

namespace fs = std::filesystem;
const std::string kData = podpower::testing::SourcePath("examples/data/");

fs::path TempDir() {
  return podpower::testing::MakeTempDir("podpower_encode_it");
}

void RunOracle(const std::string& args) {
  std::string cmd = std::string(PODPOWER_PYTHON) + " " + PODPOWER_SOURCE_DIR +
                    "/tests/oracle/encode_oracle.py " + args;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

std::vector<float> ReadFloats(const fs::path& path) {
  std::string bytes = podpower::testing::ReadFile(path);
  std::vector<float> out(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
  return out;
}

void WriteNumericRows(const fs::path& path,
                      const std::vector<io::InferenceRequest>& records) {
  std::ofstream f(path);
  for (const auto& r : records) {
    nlohmann::json row = nlohmann::json::array();
    for (double v : NumericFeatures(r)) row.push_back(v);
    row.push_back(r.runtime_class ? nlohmann::json(*r.runtime_class)
                                  : nlohmann::json());
    row.push_back(r.node_type ? nlohmann::json(*r.node_type)
                              : nlohmann::json());
    f << row.dump() << "\n";
  }
}

TEST(EncoderOracle, scaling_and_one_hot_match_scikit_learn) {
  auto fit = SyntheticRequests(2000, 3);
  auto more = SyntheticRequests(300, 4);
  more[0].runtime_class =
      "unseen-runtime";  // unknown category → zeros in sklearn too
  Encoder e = Encoder::Fit(fit, nullptr);
  auto dir = TempDir();
  WriteNumericRows(dir / "fit.jsonl", fit);
  WriteNumericRows(dir / "in.jsonl", more);
  RunOracle("sklearn " + (dir / "fit.jsonl").string() + " " +
            (dir / "in.jsonl").string() + " " + (dir / "out.f32").string());
  auto expected = ReadFloats(dir / "out.f32");
  auto actual = e.TransformMany(more);
  ASSERT_EQ(actual.size(), expected.size());
  double max_diff = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    max_diff =
        std::max(max_diff, std::fabs(double(actual[i]) - double(expected[i])));
  }
  EXPECT_LE(max_diff, 2e-7);
  std::printf("max |podpower - sklearn| over %zu values: %.3g\n", actual.size(),
              max_diff);
  fs::remove_all(dir);
}

TEST(EncoderOracle, hashed_text_embedding_matches_independent_python) {
  std::vector<std::string> texts = {"",
                                    "empty",
                                    "UPPER lower 123",
                                    "caf\xc3\xa9 \xe2\x96\xb6 x",
                                    "a a a a b",
                                    "--port=8080 | label:app=web"};
  for (const auto& r :
       io::ReadInferenceRequests(kData + "cluster-b/inference_requests.ndjson")
           .records) {
    texts.push_back(TextBundle(r));
  }
  for (const auto& r : SyntheticRequests(200, 5))
    texts.push_back(TextBundle(r));
  auto dir = TempDir();
  {
    std::ofstream f(dir / "texts.jsonl", std::ios::binary);
    for (const auto& t : texts) f << nlohmann::json(t).dump() << "\n";
  }
  for (size_t dim : {size_t{7}, size_t{256}}) {
    RunOracle("hash " + std::to_string(dim) + " " +
              (dir / "texts.jsonl").string() + " " +
              (dir / "hash.f32").string());
    auto expected = ReadFloats(dir / "hash.f32");
    std::vector<float> actual;
    HashedTextEmbedder(dim).Embed(texts, &actual);
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t i = 0; i < actual.size(); ++i) {
      EXPECT_EQ(actual[i], expected[i]) << "dim " << dim << " text " << i / dim;
    }
  }
  fs::remove_all(dir);
}

TEST(EncoderOracle, python_reads_the_artifact_with_the_documented_layout) {
  auto records = SyntheticRequests(500, 6);
  Encoder e = Encoder::Fit(records, std::make_shared<HashedTextEmbedder>(32));
  auto dir = TempDir();
  e.Save((dir / "enc.ppenc").string());
  RunOracle("artifact " + (dir / "enc.ppenc").string() + " " +
            (dir / "enc.json").string());
  std::ifstream f(dir / "enc.json");
  auto j = nlohmann::json::parse(f);
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["mean"].get<std::vector<double>>(), e.means());
  EXPECT_EQ(j["scale"].get<std::vector<double>>(), e.scales());
  EXPECT_EQ(
      j["header"]["categories"]["node_type"].get<std::vector<std::string>>(),
      e.categories()[1]);
  EXPECT_EQ(j["header"]["text"]["fingerprint"], e.text_info().fingerprint);
  EXPECT_EQ(j["header"]["dim"], e.dim());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace podpower::encode
