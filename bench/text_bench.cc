// Native sentence-embedding throughput for MiniLM-L6-shaped random weights (384
// hidden, 6 layers, 12 heads, FFN 1536, vocab 30522), next to this machine's
// sgemm GFLOP/s measured in the same run.
//
// Prints one row per (tokens per text, batch size, threads): sentences/s, the
// GFLOP/s that implies (BertModel::Flops) and its share of the sgemm peak for
// that many threads (threads x one single-threaded 1024^3 sgemm, which is how
// the encoder uses OpenBLAS), then the peak RSS. Usage: text_bench [--quick]
// (--quick: fewer texts per row, for smoke runs)
#include <cblas.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "io/temp_dir.h"
#include "text/random_model.h"
#include "text/sentence_encoder.h"

namespace {

using Clock = std::chrono::steady_clock;
using podpower::text::SentenceEncoder;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// GFLOP/s of `threads` concurrent single-threaded n x n x n sgemms (the
// encoder's BLAS pattern).
double SgemmGflops(int n, int threads) {
  std::vector<std::vector<float>> a(threads), b(threads), c(threads);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  for (int t = 0; t < threads; ++t) {
    a[t].resize(static_cast<size_t>(n) * n);
    b[t].resize(static_cast<size_t>(n) * n);
    c[t].resize(static_cast<size_t>(n) * n);
    for (auto& v : a[t]) v = u(rng);
    for (auto& v : b[t]) v = u(rng);
  }
  auto run = [&](int t, int reps) {
    for (int r = 0; r < reps; ++r)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f,
                  a[t].data(), n, b[t].data(), n, 0.0f, c[t].data(), n);
  };
  run(0, 1);  // warm-up
  const int reps = 6;
  auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(run, t, reps);
  run(0, reps);
  for (auto& p : pool) p.join();
  return 2.0 * n * n * n * reps * threads / Seconds(start) / 1e9;
}

std::vector<std::string> Texts(int count, int tokens) {
  std::vector<std::string> texts;
  for (int i = 0; i < count; ++i) {
    std::string s;
    for (int j = 0; j < tokens - 2;
         ++j) {  // appends, not operator+: GCC 12 -Wrestrict noise
      s += 'w';
      s += std::to_string((i * 131 + j * 7) % 1000);
      s += ' ';
    }
    texts.push_back(s);
  }
  return texts;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  int only_tokens = 0, only_batch = 0, only_threads = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--case") == 0 && i + 3 < argc) {
      only_tokens = std::atoi(argv[++i]);
      only_batch = std::atoi(argv[++i]);
      only_threads = std::atoi(argv[++i]);
    } else {
      std::fprintf(
          stderr,
          "usage: text_bench [--quick] [--case TOKENS BATCH THREADS]\n");
      return 2;
    }
  }
  const std::string dir = podpower::io::MakeTempDir("podpower-text-bench");
  auto spec = podpower::text::MiniLmShapedSpec();
  spec.words.clear();
  for (int i = 0; i < 1000; ++i)
    spec.words.push_back(std::string(1, 'w') += std::to_string(i));
  auto t0 = Clock::now();
  podpower::text::WriteRandomModelFolder(dir, spec);
  std::printf("wrote MiniLM-shaped random model in %.1f s\n", Seconds(t0));
  // Loading also switches OpenBLAS to one thread per call, so the peak below is
  // per core.
  auto probe = SentenceEncoder::Load(dir, 1);
  t0 = Clock::now();
  probe = SentenceEncoder::Load(dir, 1);
  std::printf("model load (91 MB F32 + sha256): %.2f s\n", Seconds(t0));
  probe.reset();

  const double peak1 = SgemmGflops(1024, 1);
  const double peak2 = SgemmGflops(1024, 2);
  std::printf(
      "sgemm 1024^3 (OpenBLAS, 1 thread per call): %.1f GFLOP/s with 1 thread, "
      "%.1f with "
      "2 concurrent\n",
      peak1, peak2);
  std::printf("%7s %6s %8s %12s %9s %8s\n", "tokens", "batch", "threads",
              "sentences/s", "GFLOP/s", "%peak");
  for (int tokens : {16, 64, 256}) {
    for (int batch : {1, 32}) {
      for (int threads : {1, 2}) {
        if (only_tokens && (tokens != only_tokens || batch != only_batch ||
                            threads != only_threads))
          continue;
        podpower::text::SentenceEncoderOptions options;
        options.threads = threads;
        options.batch_size = batch;
        auto enc = SentenceEncoder::Load(dir, options);
        int count = std::max(64, (quick ? 1024 : 8192) / tokens);
        if (batch == 1 && tokens == 256 && !quick) count = 64;
        auto texts = Texts(count, tokens);
        if (enc->Tokenize(texts[0]).size() != static_cast<size_t>(tokens)) {
          std::fprintf(stderr, "text has %zu tokens, wanted %d\n",
                       enc->Tokenize(texts[0]).size(), tokens);
          return 1;
        }
        enc->Embed(Texts(2, tokens));  // warm-up
        auto start = Clock::now();
        enc->Embed(texts);
        const double rate = count / Seconds(start);
        const double gflops =
            rate * podpower::text::BertModel::Flops(spec.bert, tokens) / 1e9;
        const double peak = threads == 1 ? peak1 : peak2;
        std::printf("%7d %6d %8d %12.1f %9.1f %7.0f%%\n", tokens, batch,
                    threads, rate, gflops, 100.0 * gflops / peak);
        std::fflush(stdout);
      }
    }
  }
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("peak RSS: %.0f MB\n", usage.ru_maxrss / 1024.0);
  std::filesystem::remove_all(dir);
  return 0;
}
