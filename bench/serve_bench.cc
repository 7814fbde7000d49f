// Artifacts for bench/serve_bench.sh: an encoder with the hashed text block
// and a KNN model of N synthetic workloads (default 10,000), plus request
// bodies. `serve_bench DIR [ROWS] [HASH_DIM]` writes DIR/encoder.ppenc,
// DIR/model.ppknn, DIR/request.json (one body) and DIR/requests.ndjson (200
// different bodies, none in the training set, which wrk takes in turn).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "encode/encoder.h"
#include "encode/synthetic_requests.h"
#include "io/inference_request.h"
#include "model/knn.h"

int main(int argc, char** argv) {
  using namespace podpower;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [ROWS] [HASH_DIM]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const size_t rows = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 10000;
  const size_t hash_dim = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 256;
  const auto records = encode::SyntheticRequests(rows, 42);
  auto encoder = encode::Encoder::Fit(
      records, std::make_shared<encode::HashedTextEmbedder>(hash_dim));
  model::TrainingRows training;
  training.dim = encoder.dim();
  training.features = encoder.TransformMany(records);
  for (const auto& r : records) {
    const auto numeric = encode::NumericFeatures(r);
    // A made-up but spec-dependent label: watts grow with CPU and memory.
    training.labels.push_back(2.0 + numeric[3] / 100.0 + numeric[4] / 512.0);
    training.workloads.push_back(r.workload_name);
  }
  model::KnnMetadata metadata;
  metadata.target = "avg_power_w";
  metadata.source = "synthetic (bench/serve_bench.cc)";
  encoder.Save(dir + "/encoder.ppenc");
  model::KnnModel::Fit(training, model::KnnOptions{}, metadata)
      .Save(dir + "/model.ppknn");
  // Requests that are not in the training set (another seed).
  const auto queries = encode::SyntheticRequests(200, 7);
  std::ofstream(dir + "/request.json") << io::ToJson(queries[0]).dump();
  std::ofstream bodies(dir + "/requests.ndjson");
  for (const auto& q : queries) bodies << io::ToJson(q).dump() << "\n";
  std::printf("%zu rows x %zu features\n", rows, encoder.dim());
  return 0;
}
