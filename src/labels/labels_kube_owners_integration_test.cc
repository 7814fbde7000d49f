// Owner source "k8s" read straight from a real kube-apiserver (v1.20.2 + etcd,
// tests/e2e/kube-up.sh), with the energy from a real Prometheus holding the
// generated Kepler data (tests/oracle/labels_fixture.py). The apiserver has no
// controller manager, so the owner chains are made by hand, under other names
// than kube-state-metrics reports, so a match can only come from the API.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "io/error.h"
#include "kube/api_client.h"
#include "kube/test_cluster.h"
#include "labels/kube_owners.h"
#include "labels/labels.h"
#include "labels/test_prometheus.h"

namespace podpower::labels {
namespace {

using nlohmann::json;

kube::testing::Cluster* g_cluster = nullptr;
testing::TestPrometheus* g_prometheus = nullptr;

class Servers : public ::testing::Environment {
 public:
  void SetUp() override {
    g_cluster = new kube::testing::Cluster("labels");
    g_prometheus = new testing::TestPrometheus("");
  }
  void TearDown() override {
    delete g_prometheus;
    delete g_cluster;
  }
};
const auto* const kServers = ::testing::AddGlobalTestEnvironment(new Servers);

// Creates `object` (its kind's collection under `ns`) owned by `owner` (a
// created object, or null); returns what the server made.
json Create(kube::ApiClient& api, const std::string& ns,
            const std::string& collection, json object,
            const json& owner = nullptr) {
  object["metadata"]["namespace"] = ns;
  if (owner.is_object()) {
    object["metadata"]["ownerReferences"] =
        json::array({{{"apiVersion", owner["apiVersion"]},
                      {"kind", owner["kind"]},
                      {"name", owner["metadata"]["name"]},
                      {"uid", owner["metadata"]["uid"]},
                      {"controller", true}}});
  }
  const std::string base = collection == "pods"   ? "/api/v1/namespaces/"
                           : collection == "jobs" ? "/apis/batch/v1/namespaces/"
                                                  : "/apis/apps/v1/namespaces/";
  return api.Send("POST", base + ns + "/" + collection, object.dump());
}

// Controllers other than Jobs only accept restartPolicy Always.
json Template(const std::string& app, const char* restart = "Always") {
  return {{"metadata", {{"labels", {{"app", app}}}}},
          {"spec",
           {{"restartPolicy", restart},
            {"containers", {{{"name", "main"}, {"image", "busybox"}}}}}}};
}

json Object(const std::string& api_version, const std::string& kind,
            const std::string& name, const json& spec) {
  return {{"apiVersion", api_version},
          {"kind", kind},
          {"metadata", {{"name", name}}},
          {"spec", spec}};
}

json Pod(const std::string& name) {
  json spec = Template(name)["spec"];
  spec["automountServiceAccountToken"] = false;
  return Object("v1", "Pod", name, spec);
}

void MakeNamespace(kube::ApiClient& api, const std::string& ns) {
  api.Send("POST", "/api/v1/namespaces",
           json({{"metadata", {{"name", ns}}}}).dump());
  // Pods need the namespace's default service account (no controller makes
  // it here).
  api.Send("POST", "/api/v1/namespaces/" + ns + "/serviceaccounts",
           json({{"metadata", {{"name", "default"}}}}).dump());
}

TEST(LabelsKubeOwners, pods_resolve_through_the_api_owner_chains) {
  REQUIRE_CLUSTER(*g_cluster);
  kube::ApiClient api(g_cluster->Config());
  for (const char* ns : {"shop", "tools", "data"}) MakeNamespace(api, ns);
  const json selector = {{"matchLabels", {{"app", "x"}}}};
  json deployment =
      Create(api, "shop", "deployments",
             Object("apps/v1", "Deployment", "storefront",
                    {{"selector", selector}, {"template", Template("x")}}));
  json replicaset =
      Create(api, "shop", "replicasets",
             Object("apps/v1", "ReplicaSet", "api-5f6d7c8b9",
                    {{"selector", selector}, {"template", Template("x")}}),
             deployment);
  Create(api, "shop", "pods", Pod("api-5f6d7c8b9-qwrtz"), replicaset);
  json job = Create(api, "tools", "jobs",
                    Object("batch/v1", "Job", "nightly-debug",
                           {{"template", Template("debug", "Never")}}));
  Create(api, "tools", "pods", Pod("debug-shell"), job);
  json statefulset = Create(api, "data", "statefulsets",
                            Object("apps/v1", "StatefulSet", "postgres",
                                   {{"selector", selector},
                                    {"serviceName", "postgres"},
                                    {"template", Template("x")}}));
  Create(api, "data", "pods", Pod("db-0"), statefulset);

  LabelsOptions o = g_prometheus->Options("A", OutputMode::kJob);
  o.owner_source = OwnerSource::kK8s;
  o.kube.kubeconfig = (*g_cluster)["KUBECONFIG_FILE"];
  LabelsSummary summary;
  const io::Table t = BuildLabels(o, &summary);
  std::map<std::string, size_t> rows;
  for (size_t r = 0; r < t.rows(); ++r) rows[t.Find("pod")->strings[r]] = r;
  auto owner = [&](const std::string& pod) {
    EXPECT_TRUE(rows.count(pod)) << pod;
    const size_t r = rows[pod];
    return t.Find("workload_kind")->strings[r] + "/" +
           t.Find("workload_name")->strings[r] + " (" +
           t.Find("owner_source")->strings[r] + ")";
  };
  EXPECT_EQ(owner("api-5f6d7c8b9-qwrtz"), "Deployment/storefront (k8s)");
  EXPECT_EQ(owner("debug-shell"), "Job/nightly-debug (k8s)");
  EXPECT_EQ(owner("db-0"), "StatefulSet/postgres (k8s)");
  // A pod the API does not know keeps its own name under an explicit source.
  EXPECT_EQ(owner("web-7d4b9c8f6-x2x4z"), "Pod/web-7d4b9c8f6-x2x4z (none)");
  EXPECT_EQ(summary.owner_sources["k8s"], 3);

  // auto: kube-state-metrics first (it knows the api and db pods under their
  // real owners), the API for the pod it lacks.
  o.owner_source = OwnerSource::kAuto;
  const io::Table mixed = BuildLabels(o, nullptr);
  rows.clear();
  for (size_t r = 0; r < mixed.rows(); ++r)
    rows[mixed.Find("pod")->strings[r]] = r;
  EXPECT_EQ(mixed.Find("owner_source")->strings[rows["db-0"]], "prom");
  EXPECT_EQ(mixed.Find("owner_source")->strings[rows["debug-shell"]], "k8s");
  EXPECT_EQ(mixed.Find("workload_name")->strings[rows["debug-shell"]],
            "nightly-debug");
}

TEST(LabelsKubeOwners, missing_kubeconfig_is_one_line_error_naming_it) {
  REQUIRE_CLUSTER(*g_cluster);
  OwnerIndex index;
  kube::KubeconfigOptions connection;
  connection.kubeconfig = g_cluster->dir() + "/no-such-kubeconfig";
  try {
    LoadApiPodOwners(connection, {}, &index);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    EXPECT_NE(what.find("no-such-kubeconfig"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace podpower::labels
