// The encoder against the original's own output (cluster-b features.parquet,
// fitted with
// --no-sbert), plus the artifact's integrity checks.
#include "encode/encoder.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "encode/encode_files.h"
#include "encode/synthetic_requests.h"
#include "io/error.h"
#include "io/parquet.h"
#include "io/testing.h"

namespace podpower::encode {
namespace {

namespace fs = std::filesystem;
const std::string kData = podpower::testing::SourcePath("examples/data/");

fs::path TempDir() {
  return podpower::testing::MakeTempDir("podpower_encoder");
}

using podpower::testing::ErrorOf;
using podpower::testing::ReadFile;
using podpower::testing::WriteFile;

std::vector<io::InferenceRequest> ClusterB() {
  return io::ReadInferenceRequests(kData +
                                   "cluster-b/inference_requests.ndjson")
      .records;
}

TEST(Encoder, no_text_fit_transform_reproduces_cluster_b_features_parquet) {
  auto records = ClusterB();
  Encoder encoder = Encoder::Fit(records, nullptr);
  ASSERT_EQ(encoder.dim(), 9u);
  auto dir = TempDir();
  // Through the files path, as `podpower encode fit/transform --no-sbert` runs
  // it.
  FitOptions fit;
  fit.input = kData + "cluster-b/inference_requests.ndjson";
  fit.encoder = (dir / "enc.ppenc").string();
  fit.text = TextChoice::kNone;
  FitEncoderFiles(fit);
  TransformOptions transform;
  transform.input = fit.input;
  transform.encoder = fit.encoder;
  transform.out = (dir / "features.parquet").string();
  ASSERT_EQ(TransformFiles(transform), 22u);

  io::Table expected = io::ReadParquet(kData + "cluster-b/features.parquet");
  io::Table actual = io::ReadParquet(transform.out);
  ASSERT_EQ(actual.rows(), expected.rows());
  std::vector<std::string> names;
  for (const auto& c : actual.columns()) names.push_back(c.name);
  // The original's six columns, in order, then podpower's traits.
  EXPECT_EQ(names,
            (std::vector<std::string>{
                "namespace", "workload_kind", "workload_name", "_spec_hash",
                "vec_len", "features", "cpu_cores", "gpus", "image_family"}));
  for (const char* col :
       {"namespace", "workload_kind", "workload_name", "_spec_hash"}) {
    EXPECT_EQ(actual.Require(col, io::ColumnType::kString).strings,
              expected.Require(col, io::ColumnType::kString).strings)
        << col;
  }
  EXPECT_EQ(actual.Require("vec_len", io::ColumnType::kInt64).ints,
            expected.Require("vec_len", io::ColumnType::kInt64).ints);
  const auto& a = actual.Require("features", io::ColumnType::kFloatList);
  const auto& e = expected.Require("features", io::ColumnType::kFloatList);
  double max_diff = 0;
  for (size_t r = 0; r < actual.rows(); ++r) {
    ASSERT_EQ(a.list(r).size(), e.list(r).size()) << "row " << r;
    for (size_t k = 0; k < a.list(r).size(); ++k) {
      max_diff = std::max(
          max_diff, std::fabs(double(a.list(r)[k]) - double(e.list(r)[k])));
    }
  }
  EXPECT_LE(max_diff, 2e-7);
  std::printf("max |podpower - original| over 22 x 9 features: %.3g\n",
              max_diff);
  // The in-memory encoder gives the same numbers as the one read back from the
  // artifact.
  auto flat = encoder.TransformMany(records);
  for (size_t r = 0; r < actual.rows(); ++r) {
    for (size_t k = 0; k < 9; ++k) EXPECT_EQ(flat[r * 9 + k], a.list(r)[k]);
  }
  fs::remove_all(dir);
}

TEST(Encoder, numerics_sum_containers_and_count_null_as_zero) {
  io::InferenceRequest r;
  r.gpu_count = 2;
  r.init_container_count = 1;
  io::Container a, b;
  a.req_cpu_mcpu = 100;
  a.lim_mem_mib = 64;
  b.req_cpu_mcpu = 250;
  b.req_mem_mib = 128;
  r.containers = {a, b};
  auto v = NumericFeatures(r);
  EXPECT_EQ(v, (std::array<double, 7>{2, 1, 0, 350, 128, 0, 64}));
}

TEST(Encoder, zero_variance_column_is_scaled_by_one) {
  auto records =
      ClusterB();  // gpu_count, init and sidecar counts are 0 everywhere
  Encoder e = Encoder::Fit(records, nullptr);
  EXPECT_EQ(e.scales()[0], 1.0);
  EXPECT_EQ(e.scales()[2], 1.0);
  EXPECT_EQ(e.means()[0], 0.0);
  EXPECT_NE(e.scales()[3], 1.0);
}

TEST(Encoder, categories_are_sorted_and_unknown_maps_to_zeros) {
  auto records = SyntheticRequests(200, 1);
  Encoder e = Encoder::Fit(records, nullptr);
  const auto& node = e.categories()[1];
  EXPECT_TRUE(std::is_sorted(node.begin(), node.end()));
  EXPECT_NE(std::find(node.begin(), node.end(), "NA"), node.end());
  const size_t runtime_n = e.categories()[0].size();
  io::InferenceRequest unknown = records[0];
  unknown.runtime_class = "never-seen";
  unknown.node_type = "never-seen-either";
  auto v = e.Transform(unknown);
  for (size_t k = 7; k < 7 + runtime_n + node.size(); ++k)
    EXPECT_EQ(v[k], 0.0f) << k;
  io::InferenceRequest na = records[0];
  na.node_type.reset();
  auto w = e.Transform(na);
  size_t na_index = 7 + runtime_n +
                    (std::find(node.begin(), node.end(), "NA") - node.begin());
  EXPECT_EQ(w[na_index], 1.0f);
}

TEST(Encoder, feature_names_follow_feature_order) {
  auto records = ClusterB();
  Encoder e = Encoder::Fit(records, std::make_shared<HashedTextEmbedder>(4));
  EXPECT_EQ(
      e.feature_names(),
      (std::vector<std::string>{
          "gpu_count", "init_container_count", "sidecar_count", "req_cpu_mcpu",
          "req_mem_mib", "lim_cpu_mcpu", "lim_mem_mib", "runtime_class_NA",
          "node_type_NA", "text_0", "text_1", "text_2", "text_3"}));
  EXPECT_EQ(e.dim(), 13u);
}

TEST(Encoder, artifact_round_trip_keeps_every_number) {
  auto records = SyntheticRequests(300, 42);
  Encoder e = Encoder::Fit(records, std::make_shared<HashedTextEmbedder>(64));
  auto dir = TempDir();
  e.Save((dir / "enc.ppenc").string());
  Encoder back = Encoder::Load((dir / "enc.ppenc").string());
  EXPECT_EQ(back.means(), e.means());
  EXPECT_EQ(back.scales(), e.scales());
  EXPECT_EQ(back.categories(), e.categories());
  EXPECT_EQ(back.text_info().fingerprint, e.text_info().fingerprint);
  EXPECT_EQ(back.fit_records(), 300u);
  EXPECT_EQ(back.TransformMany(records), e.TransformMany(records));
  const auto all = e.TransformMany(records);
  EXPECT_EQ(
      back.Transform(records[7]),
      std::vector<float>(all.begin() + 7 * e.dim(), all.begin() + 8 * e.dim()));
  fs::remove_all(dir);
}

TEST(Encoder, flipped_byte_is_a_checksum_error) {
  Encoder e = Encoder::Fit(ClusterB(), nullptr);
  auto dir = TempDir();
  auto path = dir / "enc.ppenc";
  e.Save(path.string());
  std::string bytes = ReadFile(path);
  for (size_t at : {size_t{40}, bytes.size() / 2, bytes.size() - 80}) {
    std::string bad = bytes;
    bad[at] ^= 0x01;
    WriteFile(path, bad);
    EXPECT_EQ(
        ErrorOf([&] { Encoder::Load(path.string()); }),
        path.string() + ": encoder file is corrupt (SHA256 checksum mismatch)")
        << "flipped byte " << at;
  }
  WriteFile(path, bytes.substr(0, bytes.size() - 10));
  EXPECT_EQ(ErrorOf([&] { Encoder::Load(path.string()); }),
            path.string() + ": encoder file is truncated (no SHA256 trailer)");
  WriteFile(path, "hello\n");
  EXPECT_NE(ErrorOf([&] {
              Encoder::Load(path.string());
            }).find("not a podpower encoder"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              Encoder::Load((dir / "missing").string());
            }).find("cannot open"),
            std::string::npos);
  fs::remove_all(dir);
}

std::string Sha256Hex(const std::string& s) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), d, &n, EVP_sha256(), nullptr);
  char hex[3];
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", d[i]);
    out += hex;
  }
  return out;
}

TEST(Encoder, other_format_version_is_refused_even_with_a_valid_checksum) {
  Encoder e = Encoder::Fit(ClusterB(), nullptr);
  auto dir = TempDir();
  auto path = dir / "enc.ppenc";
  e.Save(path.string());
  std::string bytes = ReadFile(path);
  std::string body = bytes.substr(0, bytes.size() - 72);
  ASSERT_EQ(body.rfind("PODPOWER-ENCODER 1\n", 0), 0u);
  body.replace(0, 19, "PODPOWER-ENCODER 2\n");
  WriteFile(path, body + "SHA256 " + Sha256Hex(body) + "\n");
  EXPECT_EQ(ErrorOf([&] { Encoder::Load(path.string()); }),
            path.string() +
                ": encoder format version 2, this podpower reads version 1");
  fs::remove_all(dir);
}

TEST(Encoder, text_model_must_match_the_fitted_one) {
  Encoder e =
      Encoder::Fit(ClusterB(), std::make_shared<HashedTextEmbedder>(16));
  EXPECT_THROW(e.AttachTextEmbedder(std::make_shared<HashedTextEmbedder>(32)),
               Error);
  EXPECT_NO_THROW(
      e.AttachTextEmbedder(std::make_shared<HashedTextEmbedder>(16)));
  // A folder that is not there is named in the error (the sentence model
  // itself is tested in src/text).
  EXPECT_NE(ErrorOf([] {
              MakeSentenceEmbedder("/nonexistent/all-MiniLM-L6-v2");
            }).find("/nonexistent/all-MiniLM-L6-v2"),
            std::string::npos);
}

TEST(Encoder, fit_on_nothing_is_an_error) {
  EXPECT_THROW(Encoder::Fit({}, nullptr), Error);
}

TEST(Encoder, synthetic_requests_are_deterministic_and_varied) {
  auto a = SyntheticRequests(500, 9), b = SyntheticRequests(500, 9),
       c = SyntheticRequests(500, 10);
  ASSERT_EQ(a.size(), 500u);
  std::set<std::string> kinds, hashes;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(io::SpecHash(a[i]), io::SpecHash(b[i]));
    kinds.insert(a[i].workload_kind);
    hashes.insert(io::SpecHash(a[i]));
    // Every synthetic record survives a JSON round trip through the parser.
    EXPECT_EQ(
        io::ToJson(io::ParseInferenceRequest(a[i].raw, "synthetic")).dump(),
        a[i].raw.dump());
  }
  EXPECT_GE(kinds.size(), 6u);
  EXPECT_GT(hashes.size(), 450u);
  EXPECT_NE(io::SpecHash(a[0]), io::SpecHash(c[0]));
}

}  // namespace
}  // namespace podpower::encode
