// Window mode's late pods against a real Prometheus (test_prometheus.h): a pod
// with rows that the up-front pod listing did not see. In production that is
// a race (samples ingested between the listing and the energy queries, --end
// close to now); here LabelsOptions::on_pods_listed removes a listed pod, so
// the same situation is reproducible.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "io/parquet.h"
#include "io/testing.h"
#include "labels/labels.h"
#include "labels/test_prometheus.h"

namespace podpower::labels {
namespace {

using testing::TestPrometheus;

class LabelsLatePods : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new TestPrometheus(""); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  static LabelsOptions Options() {
    return server_->Options("A", OutputMode::kWindow);
  }

  // `all` without the rows of pod `late`, in the same order.
  static void ExpectWithout(const io::Table& all, const std::string& late,
                            const io::Table& got) {
    const auto& pod = all.columns()[4].strings;
    size_t g = 0;
    for (size_t r = 0; r < all.rows(); ++r) {
      if (pod[r] == late) continue;
      ASSERT_LT(g, got.rows());
      for (size_t c = 0; c < all.columns().size(); ++c) {
        const io::Column& x = all.columns()[c];
        const io::Column& y = got.columns()[c];
        ASSERT_EQ(x.name, y.name);
        ASSERT_EQ(x.is_null(r), y.is_null(g)) << x.name << " row " << r;
        if (x.type == io::ColumnType::kString) {
          ASSERT_EQ(x.strings[r], y.strings[g]) << x.name << " row " << r;
        } else if (!x.is_null(r)) {
          ASSERT_EQ(x.doubles[r], y.doubles[g]) << x.name << " row " << r;
        }
      }
      ++g;
    }
    EXPECT_EQ(g, got.rows());
  }

  static TestPrometheus* server_;
};

TestPrometheus* LabelsLatePods::server_ = nullptr;

TEST_F(LabelsLatePods, a_pod_missing_from_the_listing_is_dropped_and_counted) {
  LabelsSummary full;
  const io::Table all = BuildLabels(Options(), &full);
  ASSERT_GT(full.pods, 1);
  EXPECT_EQ(full.late_pods, 0);
  EXPECT_EQ(full.late_rows_dropped, 0);

  // The listing must have seen every pod with rows: remove the one whose
  // name sorts last among the pods with rows (PodId order: namespace, pod).
  std::vector<PodId> listed;
  LabelsOptions o = Options();
  std::string late_name;
  o.on_pods_listed = [&](std::vector<PodId>* pods) {
    listed = *pods;
    ASSERT_FALSE(pods->empty());
    late_name = pods->back().pod;
    pods->pop_back();
  };
  LabelsSummary summary;
  const io::Table got = BuildLabels(o, &summary);
  const auto& pod = all.columns()[4].strings;
  const auto late_rows = std::count(pod.begin(), pod.end(), late_name);
  ASSERT_GT(late_rows, 0) << late_name << " has no rows";
  EXPECT_EQ(static_cast<int64_t>(listed.size()), full.pods)
      << "the listing sees exactly the pods with rows";
  EXPECT_EQ(summary.late_pods, 1);
  EXPECT_EQ(summary.late_rows_dropped, late_rows);
  EXPECT_EQ(summary.pods, full.pods - 1);
  EXPECT_EQ(summary.rows, full.rows - late_rows);
  ExpectWithout(all, late_name, got);

  // The streaming writer: the same rows, and no temporary file left.
  const std::string dir = podpower::testing::MakeTempDir("labels-late");
  o.out = dir + "/labels.parquet";
  LabelsSummary written = RunLabels(o);
  EXPECT_EQ(written.late_pods, 1);
  EXPECT_EQ(written.late_rows_dropped, late_rows);
  EXPECT_EQ(podpower::testing::FileNames(dir),
            std::vector<std::string>{"labels.parquet"});
  ExpectWithout(all, late_name, io::ReadParquet(o.out));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace podpower::labels
