#include "join/canonical.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "io/parquet.h"
#include "join/test_oracle.h"

namespace podpower::join {
namespace {

struct Case {
  const char* kind;
  const char* name;
  const char* want_kind;
  const char* want_name;
};

void ExpectCases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    EXPECT_EQ(CanonicalizeWorkload(c.kind, c.name),
              (CanonicalWorkload{c.want_kind, c.want_name}))
        << c.kind << " " << c.name;
  }
}

TEST(Canonical, replicaset_hash_suffix_maps_to_deployment) {
  ExpectCases({
      {"ReplicaSet", "coredns-7db6d8ff4d", "Deployment", "coredns"},
      {"ReplicaSet", "prometheus-kube-state-metrics-6c644c75f", "Deployment",
       "prometheus-kube-state-metrics"},
      {"ReplicaSet", "a-b-0123456789abcdef", "Deployment", "a-b"},
  });
}

TEST(Canonical, replicaset_with_short_hash_keeps_its_name_as_the_original) {
  // 8 hex digits are below the original's {9,}: cluster-a's mongodb
  // ReplicaSet therefore never joined, and train_rows.parquet has no mongodb.
  ExpectCases({
      {"ReplicaSet", "mongodb-74b95799", "Deployment", "mongodb-74b95799"},
      {"ReplicaSet", "web-ABCDEF1234", "Deployment", "web-ABCDEF1234"},
      {"ReplicaSet", "-7db6d8ff4d", "Deployment", "-7db6d8ff4d"},
  });
}

TEST(Canonical, deployment_pods_map_to_their_deployment) {
  ExpectCases({
      {"Pod", "kubeintellect-core-5877c79649-lntpq", "Deployment",
       "kubeintellect-core"},
      {"Pod", "rag-api-8559874fdb", "Deployment", "rag-api"},
      // The original's pod suffix is any 5 of [a-z0-9], even vowels.
      {"Pod", "web-5877c79649-aeiou", "Deployment", "web"},
  });
}

TEST(Canonical, job_pods_map_to_their_job) {
  ExpectCases({
      {"Pod", "collect-snapshot-db4dw", "Job", "collect-snapshot"},
      {"Pod", "build-labels-5r2bw", "Job", "build-labels"},
      // An 8-hex ReplicaSet hash is not a Deployment pod for the original;
      // the pod suffix still names its owner.
      {"Pod", "local-path-provisioner-988d74bc-dsqxj", "Job",
       "local-path-provisioner-988d74bc"},
  });
}

TEST(Canonical, names_that_only_look_like_generated_suffixes_stay_pods) {
  ExpectCases({
      {"Pod", "etcd-testbed-control-plane", "Pod",
       "etcd-testbed-control-plane"},  // "plane" has vowels
      {"Pod", "mohsen", "Pod", "mohsen"},
      {"Pod", "tmp-curl", "Pod", "tmp-curl"},  // 4 characters
      {"Pod", "web-BCDFG", "Pod", "web-BCDFG"},
      {"Pod", "-bcdfg", "Pod", "-bcdfg"},  // no base
  });
}

TEST(Canonical, cronjob_jobs_and_their_pods_map_to_the_cronjob) {
  ExpectCases({
      {"Job", "nightly-backup-29389120", "CronJob", "nightly-backup"},
      {"Pod", "nightly-backup-29389120-x7k2p", "CronJob", "nightly-backup"},
      {"Job", "batch-1234567", "Job", "batch-1234567"},  // 7 digits
      {"Job", "collect-snapshot", "Job", "collect-snapshot"},
      {"CronJob", "nightly-backup", "CronJob", "nightly-backup"},
  });
}

TEST(Canonical, other_kinds_pass_through) {
  ExpectCases({
      {"Deployment", "coredns-7db6d8ff4d", "Deployment", "coredns-7db6d8ff4d"},
      {"DaemonSet", "kindnet", "DaemonSet", "kindnet"},
      {"StatefulSet", "prometheus-0", "StatefulSet", "prometheus-0"},
      {"Node", "testbed-control-plane", "Node", "testbed-control-plane"},
      {"", "", "", ""},
  });
}

TEST(Canonical, kind_and_name_are_trimmed_first) {
  ExpectCases({
      {" ReplicaSet\t", " coredns-7db6d8ff4d\n", "Deployment", "coredns"},
      {"Job ", "  x ", "Job", "x"},
  });
}

TEST(Canonical, namespace_is_trimmed_and_lower_cased) {
  EXPECT_EQ(NormalizeNamespace("  Kube-System\t"), "kube-system");
  EXPECT_EQ(NormalizeNamespace(""), "");
  EXPECT_EQ(TrimAscii(" \t "), "");
}

// Names built from the pieces the rules look at (hashes of 8/9/12 hex, pod
// suffixes with and without vowels, schedules of 7/8 digits, upper case,
// spaces), compared with the same rules written as RE2 regexes.
TEST(Canonical, agrees_with_regex_oracle_on_generated_names) {
  const std::vector<std::string> kinds = {
      "Deployment", "ReplicaSet", "Pod",   "Job",
      "CronJob",    "DaemonSet",  " Pod ", "pod"};
  const std::vector<std::string> pieces = {
      "web",        "a",          "api-v2",
      "7db6d8ff4d", "74b95799",   "0123456789abcdef",
      "6c644c75f",  "lntpq",      "aeiou",
      "x7k2p",      "29389120",   "1234567",
      "123456789",  "ABCDEF1234", "bcdf",
      "bcdfgh",     "",           "9cd8j",
      "plane",      "bcdfa",      "b3cdf"};
  std::mt19937 rng(2024);
  io::Table t;
  t.AddColumn("kind", io::ColumnType::kString);
  t.AddColumn("name", io::ColumnType::kString);
  for (int i = 0; i < 20000; ++i) {
    std::string name;
    const int segments = 1 + rng() % 4;
    for (int s = 0; s < segments; ++s) {
      if (s > 0) name += "-";
      name += pieces[rng() % pieces.size()];
    }
    if (rng() % 10 == 0) name = " " + name + "  ";
    t.columns()[0].AppendString(kinds[rng() % kinds.size()]);
    t.columns()[1].AppendString(name);
  }
  const std::string path =
      (std::filesystem::temp_directory_path() /
       ("podpower_canonical_" + std::to_string(getpid()) + ".parquet"))
          .string();
  io::WriteParquet(t, path);
  for (const bool extended : {true}) {
    const auto rows = OracleRows(
        "SELECT canon_kind(kind, name, " +
        std::string(extended ? "true" : "false") +
        "), canon_name(kind, name, " + (extended ? "true" : "false") +
        ") FROM read_parquet('" + path +
        "', file_row_number = true) ORDER BY file_row_number");
    ASSERT_EQ(rows.size(), t.rows());
    size_t mismatches = 0;
    for (size_t r = 0; r < t.rows(); ++r) {
      const CanonicalWorkload got = CanonicalizeWorkload(
          t.columns()[0].strings[r], t.columns()[1].strings[r]);
      if (got.kind != rows[r][0] || got.name != rows[r][1]) {
        if (++mismatches <= 10) {
          ADD_FAILURE() << "'" << t.columns()[0].strings[r] << "' '"
                        << t.columns()[1].strings[r] << "': podpower "
                        << got.kind << "/" << got.name << ", oracle "
                        << rows[r][0] << "/" << rows[r][1];
        }
      }
    }
    EXPECT_EQ(mismatches, 0u);
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace podpower::join
