// Live objects for `predict` against a real kube-apiserver v1.20.2 + etcd
// (tests/e2e/kube-up.sh, kube/test_cluster.h): an object read by name gives
// the record its manifest gives, in the context's namespace unless one is
// named, CronJob through the batch/v1beta1 that 1.20 serves; a missing object
// is the server's 404. The CLI and kubectl end of it:
// tests/cli/kubectl_plugin_test.sh.
#include <gtest/gtest.h>

#include "collect/manifest.h"
#include "io/inference_request.h"
#include "kube/api_client.h"
#include "kube/test_cluster.h"
#include "predict/live_workloads.h"

namespace podpower::predict {
namespace {

using kube::testing::Cluster;

Cluster* g_cluster = nullptr;

class KubeEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { g_cluster = new Cluster("predict"); }
  void TearDown() override {
    delete g_cluster;
    g_cluster = nullptr;
  }
};
const auto* const kEnv =
    ::testing::AddGlobalTestEnvironment(new KubeEnvironment);

const char* kDeployment = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: nginx
          image: nginx:1.27
          args: ["nginx", "-g", "daemon off;"]
          resources: {requests: {cpu: 250m, memory: 128Mi}, limits: {cpu: "1"}}
)";

const char* kCronJob = R"(
apiVersion: batch/v1beta1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - {name: backup, image: "postgres:16", resources: {requests: {cpu: "2"}}}
)";

class LiveWorkloads : public ::testing::Test {
 protected:
  void SetUp() override {
    REQUIRE_CLUSTER(*g_cluster);
    options_.connection.kubeconfig = (*g_cluster)["KUBECONFIG_FILE"];
    static bool created = false;
    if (created) return;
    kube::ApiClient api(g_cluster->Config());
    api.Send(
        "POST", "/api/v1/namespaces",
        R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}})");
    api.Send("POST", "/apis/apps/v1/namespaces/shop/deployments",
             collect::ParseManifestDocuments(kDeployment, "d")[0].dump());
    api.Send("POST", "/apis/batch/v1beta1/namespaces/default/cronjobs",
             collect::ParseManifestDocuments(kCronJob, "c")[0].dump());
    created = true;
  }
  LiveOptions options_;
};

std::string RecordJson(const io::InferenceRequest& r) {
  return io::ToJson(r).dump();
}

TEST_F(LiveWorkloads, a_live_object_gives_the_record_of_its_manifest) {
  options_.namespace_ = "shop";
  const auto live =
      ReadLiveWorkloads(ParseObjectRefs({"deployment/web"}), options_);
  const auto file = collect::RecordsFromManifest(kDeployment, "web.yaml");
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(RecordJson(live[0]), RecordJson(file[0]));
  EXPECT_EQ(io::SpecHash(live[0]), io::SpecHash(file[0]));
}

TEST_F(LiveWorkloads, without_a_namespace_the_contexts_is_used) {
  // The test kubeconfig's context has no namespace: "default", like kubectl.
  const auto live =
      ReadLiveWorkloads(ParseObjectRefs({"cj", "nightly"}), options_);
  const auto file = collect::RecordsFromManifest(kCronJob, "cron.yaml");
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].namespace_, "default");
  EXPECT_EQ(live[0].workload_kind, "CronJob");
  // The manifest names no namespace either; its record says "default" too.
  EXPECT_EQ(RecordJson(live[0]), RecordJson(file[0]));
}

TEST_F(LiveWorkloads, a_missing_object_is_the_servers_404_naming_it) {
  options_.namespace_ = "shop";
  try {
    ReadLiveWorkloads(ParseObjectRefs({"deployment/nope"}), options_);
    FAIL() << "no error";
  } catch (const kube::ApiError& e) {
    EXPECT_EQ(e.status(), 404);
    EXPECT_NE(std::string(e.what()).find("deployments.apps \"nope\" not found"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace podpower::predict
