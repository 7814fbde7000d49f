// WriteParquet / ReadParquet of a feature block: rows x 384 FLOAT[] plus a
// string column, the shape of an encoded cluster. Files go to $TMPDIR.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

#include "io/parquet.h"

namespace {

using podpower::io::ColumnType;
using podpower::io::Table;

Table FeatureBlock(size_t rows, size_t dims) {
  Table t;
  t.AddColumn("workload_name", ColumnType::kString);
  t.AddColumn("features", ColumnType::kFloatList);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  std::vector<float> v(dims);
  for (size_t r = 0; r < rows; ++r) {
    t.columns()[0].AppendString("workload-" + std::to_string(r % 1000));
    for (float& x : v) x = normal(rng);
    t.columns()[1].AppendFloatList(v);
  }
  return t;
}

std::string TempPath() {
  return (std::filesystem::temp_directory_path() /
          ("podpower_io_bench_" + std::to_string(getpid()) + ".parquet"))
      .string();
}

void BM_WriteParquet(benchmark::State& state) {
  const Table t = FeatureBlock(state.range(0), 384);
  const std::string path = TempPath();
  for (auto _ : state) podpower::io::WriteParquet(t, path);
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * state.range(0) * 384 * 4);
  std::filesystem::remove(path);
}

void BM_ReadParquet(benchmark::State& state) {
  const std::string path = TempPath();
  podpower::io::WriteParquet(FeatureBlock(state.range(0), 384), path);
  for (auto _ : state) {
    Table t = podpower::io::ReadParquet(path);
    benchmark::DoNotOptimize(t.columns()[1].float_values.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * state.range(0) * 384 * 4);
  std::filesystem::remove(path);
}

BENCHMARK(BM_WriteParquet)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadParquet)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
