// Test helper: a small encoder + model written to a temp folder, built from
// the real cluster-b records (examples/data), so tests exercise real
// artifacts. Header-only, tests only.
#ifndef PODPOWER_SERVE_TEST_FIXTURE_H_
#define PODPOWER_SERVE_TEST_FIXTURE_H_

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "encode/encoder.h"
#include "http/client.h"
#include "io/inference_request.h"
#include "model/knn.h"
#include "serve/server.h"

namespace podpower::serve::testing {

inline std::string DataDir() {
  return std::string(PODPOWER_SOURCE_DIR) + "/examples/data/";
}

inline std::vector<io::InferenceRequest> ClusterBRecords() {
  return io::ReadInferenceRequests(DataDir() +
                                   "cluster-b/inference_requests.ndjson")
      .records;
}

// A fresh folder under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "podpower-serve-XXXXXX")
            .string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Writes encoder.ppenc and model.ppknn into `dir`: hashed text block, k = 3,
// label = summed CPU request / 10 + offset (so two models with different
// offsets predict different numbers for the same record).
inline void WriteArtifacts(const std::string& dir, const std::string& target,
                           double offset,
                           const std::string& model_name = "model.ppknn") {
  const auto records = ClusterBRecords();
  auto encoder = encode::Encoder::Fit(
      records, std::make_shared<encode::HashedTextEmbedder>(32));
  model::TrainingRows rows;
  rows.dim = encoder.dim();
  rows.features = encoder.TransformMany(records);
  for (const auto& r : records) {
    rows.labels.push_back(encode::NumericFeatures(r)[3] / 10.0 + offset);
    rows.workloads.push_back(r.workload_name);
  }
  model::KnnOptions options;
  options.k = 3;
  model::KnnMetadata metadata;
  metadata.target = target;
  encoder.Save(dir + "/encoder.ppenc");
  model::KnnModel::Fit(rows, options, metadata).Save(dir + "/" + model_name);
}

// Like WriteArtifacts, but the model has `rows` training rows (the
// cluster-b rows repeated, each copy's non-zero features scaled by a distinct
// factor so no two rows tie): a prediction then costs ~rows × non-zero
// features, and a batch of many records keeps a worker busy for seconds
// (shutdown and deadline tests).
inline void WriteLargeArtifacts(const std::string& dir, size_t rows_wanted) {
  const auto records = ClusterBRecords();
  auto encoder = encode::Encoder::Fit(
      records, std::make_shared<encode::HashedTextEmbedder>(32));
  const auto base = encoder.TransformMany(records);
  model::TrainingRows rows;
  rows.dim = encoder.dim();
  for (size_t i = 0; i < rows_wanted; ++i) {
    const size_t r = i % records.size();
    const float scale = 1.0f + static_cast<float>(i) * 1e-4f;
    for (size_t j = 0; j < rows.dim; ++j) {
      const float v = base[r * rows.dim + j];
      rows.features.push_back(v == 0 ? 0 : v * (j % 2 == 0 ? scale : 1.0f));
    }
    rows.labels.push_back(static_cast<double>(i % 97) + 1.0);
    rows.workloads.push_back(records[r].workload_name + "-" +
                             std::to_string(i));
  }
  model::KnnOptions options;
  options.k = 3;
  model::KnnMetadata metadata;
  metadata.target = "avg_power_w";
  encoder.Save(dir + "/encoder.ppenc");
  model::KnnModel::Fit(rows, options, metadata).Save(dir + "/model.ppknn");
}

// Options for a server on a WriteArtifacts pair (energy_step_j, offset 1)
// written into `dir`: loopback, a free port, no file watching.
inline ServerOptions ServerOptionsOn(const TempDir& dir) {
  WriteArtifacts(dir.path(), "energy_step_j", 1.0);
  ServerOptions options;
  options.artifacts = {dir.File("encoder.ppenc"), dir.File("model.ppknn"), ""};
  options.watch_interval = std::chrono::milliseconds(0);
  return options;
}

// POSTs `body` to `url` within `timeout` (the test links podpower_http).
inline http::Response Post(
    const http::Client& client, const std::string& url, const std::string& body,
    std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  http::Request r;
  r.method = "POST";
  r.url = url;
  r.body = body;
  r.timeout = timeout;
  return client.Do(r);
}

// `copies` × the cluster-b records as InferenceRequest NDJSON.
inline std::string ManyRecordsNdjson(size_t copies) {
  const auto records = ClusterBRecords();
  std::vector<io::InferenceRequest> many;
  for (size_t i = 0; i < copies; ++i)
    many.insert(many.end(), records.begin(), records.end());
  return io::FormatInferenceRequests(many);
}

}  // namespace podpower::serve::testing

#endif  // PODPOWER_SERVE_TEST_FIXTURE_H_
