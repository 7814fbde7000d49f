// podpower's window-mode labels join with the join stage exactly like the
// original's labels.
//
// The original's kepler_labels.parquet (examples/data/cluster-a|b) is turned
// back into what its Prometheus held: one Kepler 0.7 counter per pod whose
// increments are the original's energy_step_j at the original's timestamps, and
// kube_pod_owner series with the owners the original reported. podpower labels
// then reads that from a real Prometheus, and both label tables are joined with
// the cluster's features.parquet by podpower's join stage.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "io/parquet.h"
#include "join/join.h"
#include "labels/labels.h"
#include "labels/test_original_metrics.h"
#include "labels/test_prometheus.h"

namespace podpower::labels {
namespace {

// (ts, namespace, pod, canon_kind, canon_name, _spec_hash) -> energy_step_j
using Joined = std::map<std::tuple<double, std::string, std::string,
                                   std::string, std::string, std::string>,
                        std::pair<int, std::optional<double>>>;

Joined Key(const io::Table& t) {
  Joined out;
  const auto& energy = *t.Find("energy_step_j");
  for (size_t r = 0; r < t.rows(); ++r) {
    auto key = std::make_tuple(
        t.Find("ts")->doubles[r], t.Find("namespace")->strings[r],
        t.Find("pod")->strings[r], t.Find("canon_kind")->strings[r],
        t.Find("canon_name")->strings[r], t.Find("_spec_hash")->strings[r]);
    // Feature rows may repeat (cluster-a has rag-api three times): count them.
    auto& slot = out[key];
    ++slot.first;
    slot.second =
        energy.is_null(r) ? std::nullopt : std::optional(energy.doubles[r]);
  }
  return out;
}

void CheckCluster(const std::string& cluster) {
  const std::string data =
      std::string(PODPOWER_SOURCE_DIR) + "/examples/data/" + cluster;
  io::Table original = io::ReadParquet(data + "/kepler_labels.parquet");
  io::Table features = io::ReadParquet(data + "/features.parquet");
  double start = 0, end = 0;
  testing::TestPrometheus server(
      "", testing::OpenMetricsFromOriginal(original, &start, &end));

  LabelsOptions o;
  o.prom.url = server.url();
  o.prom.quiet = true;
  o.start = start;
  o.end = end;
  o.step = 60;  // the original's step in these files
  o.mode = OutputMode::kWindow;
  o.owner_source = OwnerSource::kProm;
  LabelsSummary summary;
  io::Table ours = BuildLabels(o, &summary);
  EXPECT_STREQ(SchemaName(summary.schema), "v0.7");

  std::ostringstream diag;
  Joined expected = Key(join::JoinFeaturesLabels(features, original, diag));
  Joined got = Key(join::JoinFeaturesLabels(features, ours, diag));
  ASSERT_GT(expected.size(), 50u);
  EXPECT_EQ(got.size(), expected.size());
  size_t first_rows = 0;
  for (const auto& [key, count_energy] : expected) {
    const auto& [count, energy] = count_energy;
    auto it = got.find(key);
    if (it == got.end()) {
      ADD_FAILURE() << "joined row missing: " << std::get<2>(key) << " at "
                    << std::get<0>(key) << " -> " << std::get<4>(key);
      continue;
    }
    EXPECT_EQ(it->second.first, count) << std::get<2>(key);
    const std::optional<double>& mine = it->second.second;
    if (energy) {
      ASSERT_TRUE(mine) << std::get<2>(key) << " at " << std::get<0>(key);
      EXPECT_NEAR(*mine, *energy, 1e-6)
          << std::get<2>(key) << " at " << std::get<0>(key);
    } else if (mine) {
      // The original dropped a new pod's first step; podpower counts it from
      // zero.
      EXPECT_EQ(*mine, 0.0) << std::get<2>(key);
      ++first_rows;
    }
  }
  for (const auto& [key, energy] : got) {
    EXPECT_TRUE(expected.count(key))
        << "extra joined row: " << std::get<2>(key) << " at "
        << std::get<0>(key) << " -> " << std::get<4>(key);
  }
  std::printf("%s: %zu joined rows, %zu new-pod first steps counted from 0\n",
              cluster.c_str(), got.size(), first_rows);
}

TEST(LabelsJoin, cluster_a_labels_join_like_the_originals) {
  CheckCluster("cluster-a");
}
TEST(LabelsJoin, cluster_b_labels_join_like_the_originals) {
  CheckCluster("cluster-b");
}

}  // namespace
}  // namespace podpower::labels
