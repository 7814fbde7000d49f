// Effective pod requests and the live record's added fields. Expected numbers
// are worked out by hand from the rules in kubernetes/component-helpers
// resource/helpers.go (PodRequests) as quoted in
// /work/shared/reference/kubernetes-reference.md §3, not produced by this code.
#include "collect/live_record.h"

#include <gtest/gtest.h>

#include "io/error.h"

namespace podpower::collect {
namespace {

using nlohmann::json;

std::map<std::string, std::string> Strings(
    const std::map<std::string, kube::Quantity>& m) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : m) out[k] = v.ToString();
  return out;
}

TEST(EffectiveRequests, containers_sum_and_init_containers_take_the_max) {
  json spec = json::parse(R"({
    "containers": [
      {"name": "a", "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}},
      {"name": "b", "resources": {"requests": {"cpu": "200m", "memory": "64Mi"}}}],
    "initContainers": [
      {"name": "migrate", "resources": {"requests": {"cpu": "500m", "memory": "32Mi"}}}]})");
  // cpu: max(100m+200m, 500m) = 500m; memory: max(128Mi, 32Mi) = 128Mi.
  EXPECT_EQ(Strings(EffectivePodRequests(spec, "t")),
            (std::map<std::string, std::string>{{"cpu", "500m"},
                                                {"memory", "128Mi"}}));
}

TEST(EffectiveRequests, sidecars_add_to_the_sum_and_to_later_init_needs) {
  json spec = json::parse(R"({
    "containers": [{"name": "app", "resources": {"requests": {"cpu": "300m"}}}],
    "initContainers": [
      {"name": "proxy", "restartPolicy": "Always", "resources": {"requests": {"cpu": "50m"}}},
      {"name": "setup", "resources": {"requests": {"cpu": "500m"}}}],
    "overhead": {"cpu": "10m", "memory": "1Mi"}})");
  // sum = 300m + 50m (sidecar) = 350m; setup needs 500m + 50m = 550m; max =
  // 550m; + 10m overhead.
  EXPECT_EQ(
      Strings(EffectivePodRequests(spec, "t")),
      (std::map<std::string, std::string>{{"cpu", "560m"}, {"memory", "1Mi"}}));
}

TEST(EffectiveRequests, limits_fill_missing_requests_and_gpus_count) {
  json spec = json::parse(R"({"containers": [
      {"name": "gpu", "resources": {"limits": {"nvidia.com/gpu": 2, "cpu": "1"}}},
      {"name": "amd", "resources": {"limits": {"amd.com/gpu": "1"},
                                    "requests": {"cpu": "250m"}}}]})");
  EXPECT_EQ(
      Strings(EffectivePodRequests(spec, "t")),
      (std::map<std::string, std::string>{
          {"amd.com/gpu", "1"}, {"cpu", "1250m"}, {"nvidia.com/gpu", "2"}}));
}

TEST(EffectiveRequests, malformed_quantity_names_the_field) {
  json spec = json::parse(
      R"({"containers": [{"resources": {"requests": {"cpu": "lots"}}}]})");
  try {
    EffectivePodRequests(spec, "Deployment ns/web");
    FAIL();
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(
        m.find(
            "Deployment ns/web: containers[0]: field 'resources.requests.cpu'"),
        std::string::npos)
        << m;
  }
}

TEST(LiveRecord, adds_live_fields_after_the_original_ones) {
  json object =
      json::parse(R"({"apiVersion": "batch/v1beta1", "kind": "CronJob",
    "metadata": {"name": "nightly", "namespace": "ops", "uid": "u-1", "resourceVersion": "42"},
    "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"parallelism": 2, "template":
      {"spec": {"containers": [{"name": "c", "image": "busybox",
                                 "resources": {"limits": {"nvidia.com/gpu": 1}}}]}}}}}})");
  LiveRecordOptions o;
  o.event = "MODIFIED";
  o.observed_at = std::chrono::system_clock::time_point(
      std::chrono::milliseconds(1767323045123));
  auto r = LiveRecord(object, "t", o);
  EXPECT_EQ(r.raw["workload_kind"], "CronJob");
  EXPECT_EQ(r.raw["event"], "MODIFIED");
  EXPECT_EQ(r.raw["uid"], "u-1");
  EXPECT_EQ(r.raw["resource_version"], "42");
  EXPECT_EQ(r.raw["observed_at"], "2026-01-02T03:04:05.123Z");
  EXPECT_EQ(r.raw["schedule"], "0 3 * * *");
  EXPECT_EQ(r.raw["parallelism"], 2);
  EXPECT_TRUE(r.raw["replicas"].is_null());
  EXPECT_EQ(r.raw["effective_gpu_count"], 1);
  // The original's fields come first, in the original's order.
  EXPECT_EQ(r.raw.begin().key(), "schema_version");
  o.original_fields_only = true;
  auto plain = LiveRecord(object, "t", o);
  EXPECT_FALSE(plain.raw.contains("uid"));
  EXPECT_FALSE(plain.raw.contains("observed_at"));
}

TEST(PodTemplate, digest_ignores_replicas_and_status_but_not_the_template) {
  json d = json::parse(R"({"kind": "Deployment", "spec": {"replicas": 1,
    "template": {"spec": {"containers": [{"name": "a", "image": "x:1"}]}}}, "status": {}})");
  std::string before = PodTemplateDigest(d);
  d["spec"]["replicas"] = 5;
  d["status"]["readyReplicas"] = 5;
  EXPECT_EQ(PodTemplateDigest(d), before);
  d["spec"]["template"]["spec"]["containers"][0]["image"] = "x:2";
  EXPECT_NE(PodTemplateDigest(d), before);
}

}  // namespace
}  // namespace podpower::collect
