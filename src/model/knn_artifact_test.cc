#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "io/error.h"
#include "model/knn.h"
#include "model/oracle_test_util.h"

namespace podpower::model {
namespace {

using testing::TempDir;

KnnModel SmallModel() {
  std::mt19937_64 rng(4);
  std::normal_distribution<float> normal;
  TrainingRows rows;
  rows.dim = 8;
  for (size_t i = 0; i < 50; ++i) {
    for (size_t j = 0; j < rows.dim; ++j) rows.features.push_back(normal(rng));
    rows.labels.push_back(normal(rng) * 10);
    rows.workloads.push_back(i % 2 ? "api" : "db");
  }
  KnnMetadata meta;
  meta.target = "energy_step_j";
  meta.encoder_fingerprint = "minilm-l6:393";
  meta.aggregated = true;
  meta.source = "train_rows.parquet";
  return KnnModel::Fit(rows, {3, Metric::kEuclidean, Weights::kDistance}, meta);
}

void Corrupt(const std::string& path, size_t offset, char value) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(value);
}

TEST(KnnArtifact, round_trip_keeps_metadata_and_predictions) {
  TempDir dir;
  const KnnModel model = SmallModel();
  model.Save(dir / "m.knn");
  const KnnModel loaded = KnnModel::Load(dir / "m.knn");
  EXPECT_EQ(loaded.options().k, 3);
  EXPECT_EQ(loaded.options().metric, Metric::kEuclidean);
  EXPECT_EQ(loaded.options().weights, Weights::kDistance);
  EXPECT_EQ(loaded.metadata().target, "energy_step_j");
  EXPECT_EQ(loaded.metadata().encoder_fingerprint, "minilm-l6:393");
  EXPECT_TRUE(loaded.metadata().aggregated);
  EXPECT_EQ(loaded.rows(), 50u);
  EXPECT_EQ(loaded.dim(), 8u);
  EXPECT_EQ(loaded.workload(1), "api");
  const std::vector<float> q{0.1f, -0.2f, 0.3f, 0, 1, 0.5f, -1, 2};
  const auto a = model.Predict(q), b = loaded.Predict(q);
  EXPECT_EQ(a.value, b.value);
  ASSERT_EQ(a.neighbours.size(), b.neighbours.size());
  for (size_t i = 0; i < a.neighbours.size(); ++i) {
    EXPECT_EQ(a.neighbours[i].row, b.neighbours[i].row);
    EXPECT_EQ(a.neighbours[i].workload, b.neighbours[i].workload);
  }
  // Leaves no temporary files behind.
  size_t files = 0;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator(dir.path()))
    ++files;
  EXPECT_EQ(files, 1u);
}

TEST(KnnArtifact, python_can_read_it_without_podpower) {
  if (!testing::HaveSklearn())
    GTEST_SKIP() << PODPOWER_PYTHON << " has no numpy";
  TempDir dir;
  const KnnModel model = SmallModel();
  model.Save(dir / "m.knn");
  // The reader documented in docs/formats/model.md: checks the digest, returns
  // the header and the label array's sum.
  const std::string script = R"(
import hashlib, json, struct, sys
import numpy as np
b = open(sys.argv[1], 'rb').read()
assert b[:8] == b'PODPKNN\n'
assert hashlib.sha256(b[:-32]).digest() == b[-32:]
version, hlen = struct.unpack('<II', b[8:16])
h = json.loads(b[16:16 + hlen])
base = 16 + hlen
a = {x['name']: np.frombuffer(b, dtype=x['dtype'], count=int(np.prod(x['shape'])),
     offset=base + x['offset']).reshape(x['shape']) for x in h['arrays']}
print(version, h['k'], h['metric'], a['features'].shape[0], a['features'].shape[1],
      repr(float(a['labels'].sum())), h['workloads'][a['workload_index'][1]])
)";
  std::ofstream(dir / "read.py") << script;
  const std::string cmd = std::string(PODPOWER_PYTHON) + " '" +
                          (dir / "read.py") + "' '" + (dir / "m.knn") +
                          "' > '" + (dir / "out.txt") + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  double sum = 0;
  for (double y : model.labels()) sum += y;
  std::ostringstream want;
  want.precision(17);
  const std::string got = testing::ReadText(dir / "out.txt");
  EXPECT_EQ(got.substr(0, got.find(' ', 0)), "2");
  EXPECT_NE(got.find("3 euclidean 50 8"), std::string::npos) << got;
  EXPECT_NE(got.find(" api"), std::string::npos) << got;
  const double py_sum = std::stod(got.substr(got.find("50 8 ") + 5));
  EXPECT_DOUBLE_EQ(py_sum, sum);
}

TEST(KnnArtifact, flipped_byte_is_reported_as_corrupt) {
  TempDir dir;
  SmallModel().Save(dir / "m.knn");
  const size_t size = std::filesystem::file_size(dir / "m.knn");
  for (size_t offset : {size_t{20}, size / 2, size - 40, size - 1}) {
    SmallModel().Save(dir / "m.knn");
    Corrupt(dir / "m.knn", offset, '\x7f');
    try {
      KnnModel::Load(dir / "m.knn");
      FAIL() << "corruption at " << offset << " not detected";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("checksum"), std::string::npos)
          << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
  }
}

TEST(KnnArtifact, other_version_magic_or_truncation_is_an_error) {
  TempDir dir;
  SmallModel().Save(dir / "m.knn");
  Corrupt(dir / "m.knn", 8, 3);  // version 3, from a newer podpower
  try {
    KnnModel::Load(dir / "m.knn");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("version 3"), std::string::npos)
        << e.what();
  }
  SmallModel().Save(dir / "m.knn");
  Corrupt(dir / "m.knn", 0, 'X');
  EXPECT_THROW(KnnModel::Load(dir / "m.knn"), Error);
  SmallModel().Save(dir / "m.knn");
  std::filesystem::resize_file(dir / "m.knn",
                               std::filesystem::file_size(dir / "m.knn") - 9);
  EXPECT_THROW(KnnModel::Load(dir / "m.knn"), Error);
  EXPECT_THROW(KnnModel::Load(dir / "missing.knn"), Error);
}

TEST(KnnArtifact, save_into_missing_folder_fails_without_output) {
  TempDir dir;
  EXPECT_THROW(SmallModel().Save(dir / "no/such/m.knn"), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "no"));
}

// src/model/testdata/model_v1.ppknn was written by
// tests/oracle/knn_v1_fixture.py in the version 1 layout (before traits,
// ensembles and multiplicative intervals): it must load and predict as the
// version 1 code did, the KNN alone with the additive interval.
TEST(KnnArtifact, version_1_file_loads_and_predicts_as_before) {
  const KnnModel model = KnnModel::Load(std::string(PODPOWER_SOURCE_DIR) +
                                        "/src/model/testdata/model_v1.ppknn");
  EXPECT_FALSE(model.metadata().ensemble.has_value());
  EXPECT_TRUE(model.traits().empty());
  ASSERT_EQ(model.rows(), 6u);
  EXPECT_EQ(model.metadata().interval.method, IntervalMethod::kNeighbourSpread);
  const std::vector<float> query{1.0f, 0.05f, 0.45f};
  // Brute force: cosine distances in float64, the 3 nearest, their mean.
  std::vector<std::pair<double, double>> by_distance;
  for (size_t r = 0; r < model.rows(); ++r) {
    double dot = 0, a = 0, b = 0;
    for (size_t i = 0; i < 3; ++i) {
      const double x = query[i], y = model.features()[r * 3 + i];
      dot += x * y;
      a += x * x;
      b += y * y;
    }
    by_distance.emplace_back(1 - dot / std::sqrt(a * b), model.labels()[r]);
  }
  std::sort(by_distance.begin(), by_distance.end());
  double mean = 0, squares = 0;
  for (size_t i = 0; i < 3; ++i) mean += by_distance[i].second / 3;
  for (size_t i = 0; i < 3; ++i)
    squares += (by_distance[i].second - mean) * (by_distance[i].second - mean);
  const double spread = std::sqrt(squares / 3);
  const Prediction p = model.Predict(query);
  EXPECT_NEAR(p.value, mean, 1e-12);
  ASSERT_TRUE(p.has_interval);
  EXPECT_NEAR(p.interval_low, mean - 1.5 * (spread + 0.25), 1e-12);
  EXPECT_NEAR(p.interval_high, mean + 1.5 * (spread + 0.25), 1e-12);
  EXPECT_FALSE(p.blended);
}

}  // namespace
}  // namespace podpower::model
