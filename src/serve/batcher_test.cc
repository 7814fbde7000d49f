// Micro-batching must be invisible: concurrent callers get exactly what a
// lone Predict call gives for their record, whichever batch it landed in.
#include "serve/batcher.h"

#include <gtest/gtest.h>

#include <thread>

#include "serve/artifacts.h"
#include "serve/test_fixture.h"

namespace podpower::serve {
namespace {

TEST(PredictionBatcher, concurrent_callers_get_their_own_lone_prediction) {
  testing::TempDir dir;
  testing::WriteArtifacts(dir.path(), "avg_power_w", 3.0);
  const auto artifacts =
      LoadArtifacts({dir.File("encoder.ppenc"), dir.File("model.ppknn"), ""});
  const auto records = testing::ClusterBRecords();
  std::vector<double> expected;
  for (const auto& r : records)
    expected.push_back(artifacts->predictor->Predict({r})[0].prediction.value);

  Metrics metrics;
  PredictionBatcher batcher(8, 1, &metrics);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 60; ++i) {
        const size_t r = (t * 7 + i) % records.size();
        auto p = batcher.Predict(*artifacts->predictor, records[r]);
        if (p.prediction.value != expected[r] ||
            p.workload_name != records[r].workload_name)
          ++mismatches[t];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
  const std::string text = metrics.Render();
  EXPECT_NE(text.find("podpower_predict_batched_workloads_total 480\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace podpower::serve
