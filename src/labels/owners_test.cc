#include "labels/owners.h"

#include <gtest/gtest.h>

#include "io/error.h"

namespace podpower::labels {
namespace {

TEST(WorkloadFromPodName, deployment_pods_map_to_their_deployment) {
  auto w = WorkloadFromPodName("coredns-7db6d8ff4d-tkd86");
  EXPECT_EQ(w.kind, "Deployment");
  EXPECT_EQ(w.name, "coredns");
  EXPECT_EQ(w.source, "names");
  EXPECT_EQ(WorkloadFromPodName("local-path-provisioner-988d74bc-mdj27").name,
            "local-path-provisioner");
}

TEST(WorkloadFromPodName, cronjob_pods_map_to_the_cronjob) {
  auto w = WorkloadFromPodName("report-29364010-abcde");
  EXPECT_EQ(w.kind, "CronJob");
  EXPECT_EQ(w.name, "report");
}

TEST(WorkloadFromPodName, anything_else_is_its_own_pod) {
  for (const char* pod : {"mohsen", "db-0", "kindnet-4r4pd", "system_processes",
                          "etcd-testbed-control-plane"}) {
    auto w = WorkloadFromPodName(pod);
    EXPECT_EQ(w.kind, "Pod") << pod;
    EXPECT_EQ(w.name, pod);
  }
}

TEST(StripReplicaSetHash, the_originals_nine_hex_rule) {
  EXPECT_EQ(StripReplicaSetHash("coredns-7db6d8ff4d"), "coredns");
  // 8 characters: the original kept the name (cluster-b labels show it).
  EXPECT_EQ(StripReplicaSetHash("local-path-provisioner-988d74bc"),
            "local-path-provisioner-988d74bc");
}

TEST(OwnerIndex, chains_replicaset_and_job_owners) {
  OwnerIndex idx;
  idx.AddPodOwner("shop", "web-1-a", "u1", "ReplicaSet", "web-7d4b9c8f6");
  idx.AddReplicaSetOwner("shop", "web-7d4b9c8f6", "Deployment", "web");
  idx.AddPodOwner("batch", "r-1-x", "u2", "Job", "r-29364010");
  idx.AddJobOwner("batch", "r-29364010", "CronJob", "report");
  idx.AddPodOwner("batch", "m-x", "u3", "Job", "migrate");
  idx.AddPodOwner("tools", "scratch", "u4", "", "");
  idx.AddPodOwner("shop", "legacy-59b9fc968b-64m99", "", "ReplicaSet",
                  "legacy-59b9fc968b");
  auto r = [&](const char* ns, const char* pod, const char* uid) {
    auto w = idx.Resolve(ns, pod, uid, OwnerSource::kAuto);
    return w.kind + "/" + w.name + "/" + w.source;
  };
  EXPECT_EQ(r("shop", "web-1-a", ""), "Deployment/web/prom");
  EXPECT_EQ(r("other", "renamed", "u1"), "Deployment/web/prom")
      << "UID wins over names";
  EXPECT_EQ(r("batch", "r-1-x", "u2"), "CronJob/report/prom");
  EXPECT_EQ(r("batch", "m-x", "u3"), "Job/migrate/prom");
  EXPECT_EQ(r("tools", "scratch", "u4"), "Pod/scratch/prom");
  EXPECT_EQ(r("shop", "legacy-59b9fc968b-64m99", ""), "Deployment/legacy/prom");
  EXPECT_EQ(r("x", "cache-6b7c8d9f5-zz2kl", ""), "Deployment/cache/names");
  auto none = idx.Resolve("x", "cache-6b7c8d9f5-zz2kl", "", OwnerSource::kProm);
  EXPECT_EQ(none.kind, "Pod");
  EXPECT_EQ(none.source, "none");
}

TEST(OwnerIndex, a_real_owner_wins_over_a_duplicate_without_one) {
  OwnerIndex idx;
  idx.AddPodOwner("ns", "p", "u", "", "");
  idx.AddPodOwner("ns", "p", "u", "DaemonSet", "agent");
  EXPECT_EQ(idx.Resolve("ns", "p", "u", OwnerSource::kProm).kind, "DaemonSet");
}

TEST(ParseOwnerSource, names_the_flag_on_bad_values) {
  EXPECT_EQ(ParseOwnerSource("k8s"), OwnerSource::kK8s);
  EXPECT_THROW(ParseOwnerSource("api"), Error);
}

}  // namespace
}  // namespace podpower::labels
