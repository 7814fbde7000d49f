// podpower's KNN fit + predict on data written by bench/knn_bench.py (raw
// float64 files), for `make bench`. Usage: knn_bench <dir> <n> <queries> <dim>
// <k> <metric> <weights> Prints one JSON line: seconds for fit and predict,
// first prediction, peak RSS; writes <dir>/podpower_pred.f64 so the driver can
// check agreement with sklearn.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "io/error.h"
#include "model/knn.h"

namespace {

std::vector<double> ReadF64(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw podpower::Error(path + ": cannot open");
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  std::vector<double> v(bytes.size() / 8);
  std::memcpy(v.data(), bytes.data(), v.size() * 8);
  return v;
}

// User + system time of all threads so far: on a shared machine, CPU time is
// steadier than wall.
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

}  // namespace

int main(int argc, char** argv) {
  using podpower::model::KnnModel;
  if (argc != 8) {
    std::fprintf(
        stderr,
        "usage: knn_bench <dir> <n> <queries> <dim> <k> <metric> <weights>\n");
    return 2;
  }
  try {
    const std::string dir = argv[1];
    const size_t n = std::stoul(argv[2]), nq = std::stoul(argv[3]),
                 dim = std::stoul(argv[4]);
    podpower::model::KnnOptions options;
    options.k = std::stoi(argv[5]);
    options.metric = podpower::model::ParseMetric(argv[6], "metric");
    options.weights = podpower::model::ParseWeights(argv[7], "weights");
    // Features are float32 in podpower (as in the Parquet files); the
    // conversion is not timed.
    const auto x = ReadF64(dir + "/train_X.f64");
    const auto y = ReadF64(dir + "/train_y.f64");
    const auto q = ReadF64(dir + "/query_X.f64");
    if (x.size() != n * dim || y.size() != n || q.size() != nq * dim) {
      throw podpower::Error(dir + ": array sizes do not match the arguments");
    }
    podpower::model::TrainingRows rows;
    rows.dim = dim;
    rows.features.assign(x.begin(), x.end());
    rows.labels = y;
    rows.workloads.assign(n, "bench");
    const std::vector<float> queries(q.begin(), q.end());
    const double cpu0 = CpuSeconds();
    const auto t0 = std::chrono::steady_clock::now();
    const KnnModel model = KnnModel::Fit(std::move(rows), options, {});
    const auto t1 = std::chrono::steady_clock::now();
    const auto predictions = model.PredictBatch(queries, nq);
    const auto t2 = std::chrono::steady_clock::now();
    const double cpu = CpuSeconds() - cpu0;
    std::vector<double> values(nq);
    size_t ties = 0;
    for (size_t i = 0; i < nq; ++i) {
      values[i] = predictions[i].value;
      ties += predictions[i].decided_by_tie;
    }
    std::ofstream(dir + "/podpower_pred.f64", std::ios::binary)
        .write(reinterpret_cast<const char*>(values.data()),
               static_cast<std::streamsize>(values.size() * 8));
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf(
        "{\"fit_s\": %.6f, \"predict_s\": %.6f, \"cpu_s\": %.6f, \"first\": "
        "%.9g, "
        "\"ties\": %zu, \"peak_rss_mb\": %.1f}\n",
        std::chrono::duration<double>(t1 - t0).count(),
        std::chrono::duration<double>(t2 - t1).count(), cpu,
        values.empty() ? 0.0 : values[0], ties,
        static_cast<double>(usage.ru_maxrss) / 1024.0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "knn_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
