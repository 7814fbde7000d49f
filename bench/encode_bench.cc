// Encoder throughput: `encode_bench gen N PATH` writes N synthetic
// InferenceRequest records as NDJSON; `encode_bench run PATH OUT_DIR` reads
// them, fits, transforms (no text block, and the hashed text block), computes
// _spec_hash and writes the features Parquet, printing one JSON line of
// timings. bench/encode_bench.py runs it next to the original's Python encode
// on the same file.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "encode/encode_files.h"
#include "encode/encoder.h"
#include "encode/synthetic_requests.h"
#include "io/inference_request.h"
#include "io/parquet.h"

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

long PeakRssKb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace podpower;
  if (argc == 4 && std::string(argv[1]) == "gen") {
    auto records =
        encode::SyntheticRequests(std::strtoul(argv[2], nullptr, 10), 7);
    io::WriteInferenceRequests(records, argv[3]);
    return 0;
  }
  if (argc != 4 || std::string(argv[1]) != "run") {
    std::fprintf(
        stderr,
        "usage: encode_bench gen N PATH | encode_bench run PATH OUT_DIR\n");
    return 2;
  }
  const std::string out_dir = argv[3];
  auto t = Clock::now();
  auto records = io::ReadInferenceRequests(argv[2]).records;
  const double read_s = Since(t);

  t = Clock::now();
  auto plain = encode::Encoder::Fit(records, nullptr);
  auto plain_features = plain.TransformMany(records);
  size_t hashes = 0;
  for (const auto& r : records) hashes += io::SpecHash(r).size();
  const double no_text_s = Since(t);

  t = Clock::now();
  auto hashed = encode::Encoder::Fit(
      records, std::make_shared<encode::HashedTextEmbedder>(256));
  auto hashed_features = hashed.TransformMany(records);
  const double hash_text_s = Since(t);

  t = Clock::now();
  io::WriteParquet(encode::FeaturesTable(records, plain),
                   out_dir + "/features.parquet");
  const double parquet_s = Since(t);

  std::printf(
      "{\"records\": %zu, \"read_s\": %.3f, \"fit_transform_hash_no_text_s\": "
      "%.3f, \"fit_transform_text_hash_s\": %.3f, \"features_parquet_s\": "
      "%.3f, \"peak_rss_mb\": %.1f, \"check\": %zu}\n",
      records.size(), read_s, no_text_s, hash_text_s, parquet_s,
      PeakRssKb() / 1024.0,
      hashes + plain_features.size() + hashed_features.size());
  return 0;
}
