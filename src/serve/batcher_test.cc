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

// A reload leaves jobs for two predictors in the queue, and small batches
// leave jobs behind: every one of them must still be led by someone (a lost
// wake-up shows as a hang, caught by ctest's timeout).
TEST(PredictionBatcher, jobs_left_behind_by_a_batch_are_still_predicted) {
  testing::TempDir old_dir, new_dir;
  testing::WriteArtifacts(old_dir.path(), "avg_power_w", 3.0);
  testing::WriteArtifacts(new_dir.path(), "avg_power_w", 7.0);
  const auto before = LoadArtifacts(
      {old_dir.File("encoder.ppenc"), old_dir.File("model.ppknn"), ""});
  const auto after = LoadArtifacts(
      {new_dir.File("encoder.ppenc"), new_dir.File("model.ppknn"), ""});
  const auto records = testing::ClusterBRecords();
  const predict::Predictor* predictors[] = {before->predictor.get(),
                                            after->predictor.get()};
  std::vector<double> expected[2];
  for (int m = 0; m < 2; ++m)
    for (const auto& r : records)
      expected[m].push_back(predictors[m]->Predict({r})[0].prediction.value);
  ASSERT_NE(expected[0], expected[1]);

  PredictionBatcher batcher(2, 2);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(12, 0);
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        const int m = (t + i) % 2;
        const size_t r = (t * 5 + i) % records.size();
        if (batcher.Predict(*predictors[m], records[r]).prediction.value !=
            expected[m][r])
          ++mismatches[t];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 0; t < 12; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace podpower::serve
