// Manifests → InferenceRequest records. The oracles are the original
// collector's own records in examples/data (a manifest mirroring one must give
// the same record and _spec_hash) and the field rules of inference-request.md.
#include "collect/manifest.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "io/error.h"
#include "io/parquet.h"
#include "io/testing.h"

namespace podpower::collect {
namespace {

const std::string kData = podpower::testing::SourcePath("examples/data/");

using podpower::testing::ErrorOf;

// kind's coredns Deployment, as installed on cluster-b (kube-system/coredns).
const char* kCoreDns = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
  namespace: kube-system
  labels:
    k8s-app: kube-dns
spec:
  replicas: 2
  selector:
    matchLabels:
      k8s-app: kube-dns
  template:
    metadata:
      labels:
        k8s-app: kube-dns
    spec:
      priorityClassName: system-cluster-critical
      containers:
      - name: coredns
        image: registry.k8s.io/coredns/coredns:v1.11.1
        imagePullPolicy: IfNotPresent
        resources:
          limits:
            memory: 170Mi
          requests:
            cpu: 100m
            memory: 70Mi
        args: [ "-conf", "/etc/coredns/Corefile" ]
        volumeMounts:
        - name: config-volume
          mountPath: /etc/coredns
          readOnly: true
      dnsPolicy: Default
      volumes:
        - name: config-volume
          configMap:
            name: coredns
            items:
            - key: Corefile
              path: Corefile
)";

TEST(Manifest, coredns_manifest_gives_the_original_collectors_record) {
  auto records = RecordsFromManifest(kCoreDns, "coredns.yaml");
  ASSERT_EQ(records.size(), 1u);
  io::InferenceRequest r = records[0];
  auto sample =
      io::ReadInferenceRequests(kData + "cluster-b/inference_requests.ndjson")
          .records;
  const io::InferenceRequest& original = sample.at(1);
  ASSERT_EQ(original.workload_name, "coredns");
  // A configMap volume: podpower names its real type; the original's pick came
  // from iterating a Python set and is "ephemeral" for every volume in this
  // sample (inference-request.md).
  EXPECT_EQ(r.volume_types, std::vector<std::string>{"configMap"});
  r.volume_types = original.volume_types;
  r.raw = io::ToJson(r);
  EXPECT_EQ(r.raw.dump(), original.raw.dump());
  auto features = io::ReadParquet(kData + "cluster-b/features.parquet");
  EXPECT_EQ(
      io::SpecHash(r),
      features.Require("_spec_hash", io::ColumnType::kString).strings.at(1));
}

TEST(Manifest, every_workload_kind_finds_its_pod_template) {
  const char* text = R"(
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: data}
spec:
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: pg, image: postgres:16}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  template:
    spec:
      containers: [{name: a, image: agent:1}]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web-5d4f8c9b7f}
spec:
  template:
    spec:
      containers: [{name: w, image: nginx}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  parallelism: 3
  completions: 6
  template:
    spec:
      containers: [{name: j, image: busybox, command: [sh, -c, "echo hi"]}]
---
apiVersion: batch/v1beta1
kind: CronJob
metadata: {name: nightly, namespace: ops}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      parallelism: 2
      template:
        metadata: {labels: {job: nightly}, annotations: {team: ops}}
        spec:
          containers: [{name: c, image: backup:2}]
---
apiVersion: v1
kind: Pod
metadata: {name: debug, labels: {run: debug}}
spec:
  containers: [{name: d, image: alpine}]
)";
  auto r = RecordsFromManifest(text, "all.yaml");
  ASSERT_EQ(r.size(), 6u);
  EXPECT_EQ(r[0].workload_kind, "StatefulSet");
  EXPECT_EQ(r[0].namespace_, "data");
  EXPECT_EQ(r[0].labels.at("app"), "db");
  EXPECT_EQ(r[1].workload_kind, "DaemonSet");
  EXPECT_EQ(r[1].namespace_, "default");
  EXPECT_EQ(r[2].workload_kind, "ReplicaSet");
  EXPECT_EQ(r[2].containers.at(0).image, "nginx");
  EXPECT_EQ(r[3].workload_kind, "Job");
  EXPECT_EQ(r[3].parallelism, 3);
  EXPECT_EQ(r[3].completions, 6);
  EXPECT_EQ(*r[3].containers[0].command,
            (std::vector<std::string>{"sh", "-c", "echo hi"}));
  EXPECT_FALSE(r[3].containers[0].args.has_value());
  EXPECT_EQ(r[4].workload_kind, "CronJob");
  EXPECT_EQ(r[4].workload_name, "nightly");
  EXPECT_EQ(r[4].parallelism, 2);
  EXPECT_FALSE(r[4].completions.has_value());
  EXPECT_EQ(r[4].annotations.at("team"), "ops");
  EXPECT_EQ(r[4].containers.at(0).image, "backup:2");
  EXPECT_EQ(r[5].workload_kind, "Pod");
  EXPECT_EQ(r[5].labels.at("run"), "debug");
  for (int i : {0, 1, 2, 5}) {
    EXPECT_FALSE(r[i].parallelism.has_value()) << i;
  }
}

TEST(Manifest, field_rules_follow_the_original) {
  const char* text = R"(
kind: Deployment
metadata: {name: gpu-app, labels: {ignored: "workload label"}}
spec:
  template:
    metadata:
      labels: {app: gpu-app}
    spec:
      runtimeClassName: nvidia
      nodeSelector:
        beta.kubernetes.io/instance-type: g4dn.xlarge
      initContainers:
      - {name: init1, image: busybox}
      - {name: init2, image: busybox, resources: {limits: {nvidia.com/gpu: 8}}}
      containers:
      - name: train
        image: trainer
        resources:
          requests: {cpu: "1.5", memory: 500M}
          limits: {cpu: 2, memory: 1Gi, nvidia.com/gpu: "2", amd.com/gpu: 1}
      - name: side
        image: proxy
        resources:
          requests: {cpu: 250u, memory: 128Ki}
      volumes:
      - {name: a, emptyDir: {}}
      - {name: b, secret: {secretName: s}}
      - {name: c, projected: {sources: []}, configMap: {name: x}}
      - {name: d, csi: {driver: x}}
      - {name: e, persistentVolumeClaim: {claimName: data}}
)";
  auto r = RecordsFromManifest(text, "gpu.yaml").at(0);
  EXPECT_EQ(r.labels, (std::map<std::string, std::string>{{"app", "gpu-app"}}));
  EXPECT_EQ(r.runtime_class, "nvidia");
  EXPECT_EQ(r.node_type, "g4dn.xlarge");
  EXPECT_EQ(r.init_container_count, 2);
  EXPECT_EQ(r.sidecar_count, 0);
  EXPECT_EQ(r.gpu_count, 3);  // regular containers' limits only: 2 + 1
  EXPECT_EQ(r.volume_types,
            (std::vector<std::string>{"emptyDir", "secret", "configMap",
                                      "other", "persistentVolumeClaim"}));
  ASSERT_EQ(r.containers.size(), 2u);
  EXPECT_EQ(r.containers[0].req_cpu_mcpu, 1500);
  EXPECT_EQ(r.containers[0].req_mem_mib,
            476);  // 500,000,000 bytes, not 500 MiB
  EXPECT_EQ(r.containers[0].lim_cpu_mcpu, 2000);
  EXPECT_EQ(r.containers[0].lim_mem_mib, 1024);
  EXPECT_EQ(r.containers[1].req_cpu_mcpu, 1);  // 250u rounds up to 1m
  EXPECT_EQ(r.containers[1].req_mem_mib, 0);   // 128Ki = 0.125 MiB, truncated
  EXPECT_FALSE(r.containers[1].lim_cpu_mcpu.has_value());
}

TEST(Manifest, instance_type_prefers_the_ga_label) {
  const char* text =
      R"({"kind":"Pod","metadata":{"name":"p"},"spec":{"nodeSelector":{
    "beta.kubernetes.io/instance-type":"old","node.kubernetes.io/instance-type":"new"},
    "containers":[{"name":"c","image":"i","resources":{"requests":{"cpu":0.25}}}]}})";
  auto r = RecordsFromManifest(text, "pod.json").at(0);
  EXPECT_EQ(r.node_type, "new");
  EXPECT_EQ(r.containers[0].req_cpu_mcpu,
            250);  // a JSON number is a valid quantity
}

TEST(Manifest, list_kinds_expand_items_in_order) {
  const char* text = R"(
apiVersion: v1
kind: List
items:
- {kind: Deployment, metadata: {name: a}, spec: {template: {spec: {containers: []}}}}
- {kind: Pod, metadata: {name: b}, spec: {containers: []}}
)";
  auto r = RecordsFromManifest(text, "list.yaml");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].workload_name, "a");
  EXPECT_EQ(r[1].workload_name, "b");
}

TEST(Manifest,
     unknown_kind_fails_naming_file_document_and_kind_unless_skipped) {
  const char* text = R"(
kind: Deployment
metadata: {name: a}
spec: {template: {spec: {containers: []}}}
---
kind: Service
metadata: {name: svc}
)";
  EXPECT_EQ(
      ErrorOf([&] { RecordsFromManifest(text, "app.yaml"); }),
      "app.yaml: document 2 (Service svc): kind 'Service' is not a workload "
      "kind (expected "
      "Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob or Pod)");
  ManifestOptions skip;
  skip.skip_unknown = true;
  ::testing::internal::CaptureStderr();
  auto r = RecordsFromManifest(text, "app.yaml", skip);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(r.size(), 1u);
  EXPECT_NE(err.find("app.yaml: document 2 (Service svc): kind 'Service'"),
            std::string::npos);
}

TEST(Manifest, bad_fields_name_their_path) {
  const char* bad_quantity = R"(
kind: Deployment
metadata: {name: a}
spec:
  template:
    spec:
      containers:
      - {name: c, image: i, resources: {limits: {memory: 1K}}}
)";
  EXPECT_EQ(ErrorOf([&] { RecordsFromManifest(bad_quantity, "q.yaml"); }),
            "q.yaml: document 1 (Deployment a): field "
            "'spec.template.spec.containers[0].resources.limits.memory': "
            "quantity \"1K\": unknown "
            "suffix \"K\", expected one of n u m k M G T P E, Ki Mi Gi Ti Pi "
            "Ei or e<exponent>");
  const char* number_label = R"(
kind: Pod
metadata: {name: p, labels: {version: 1.0}}
spec: {containers: []}
)";
  EXPECT_EQ(ErrorOf([&] { RecordsFromManifest(number_label, "l.yaml"); }),
            "l.yaml: document 1 (Pod p): field 'metadata.labels.version': "
            "expected string (quote "
            "it in YAML), got number");
  const char* no_template = "kind: Deployment\nmetadata: {name: a}\nspec: {}\n";
  EXPECT_EQ(ErrorOf([&] { RecordsFromManifest(no_template, "t.yaml"); }),
            "t.yaml: document 1 (Deployment a): field 'spec.template.spec': "
            "expected mapping, got "
            "nothing");
  EXPECT_EQ(ErrorOf([&] {
              RecordsFromManifest("kind: [unclosed\n", "s.yaml");
            }).rfind("s.yaml:", 0),
            0u);
}

TEST(Manifest, files_without_workloads_are_an_error) {
  auto dir = std::filesystem::temp_directory_path() /
             ("podpower_manifest_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto empty = (dir / "empty.yaml").string();
  std::ofstream(empty) << "---\n# nothing\n";
  EXPECT_NE(ErrorOf([&] {
              RecordsFromManifestFiles({empty});
            }).find("no workloads found"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              RecordsFromManifestFiles({(dir / "missing.yaml").string()});
            }).find("cannot open"),
            std::string::npos);
  auto good = (dir / "coredns.yaml").string();
  std::ofstream(good) << kCoreDns;
  auto out = (dir / "out.ndjson").string();
  EXPECT_EQ(CollectFromFiles({good, good}, out), 2u);
  EXPECT_EQ(io::ReadInferenceRequests(out).records.size(), 2u);
  std::filesystem::remove_all(dir);
}

TEST(Manifest, record_from_object_rejects_non_workloads) {
  nlohmann::json cm = {{"kind", "ConfigMap"}, {"metadata", {{"name", "x"}}}};
  EXPECT_THROW(RecordFromObject(cm, "api"), Error);
  EXPECT_TRUE(IsWorkloadKind("CronJob"));
  EXPECT_FALSE(IsWorkloadKind("Service"));
}

// The classic "billion laughs": 342 bytes whose aliases expand to 9^9 strings.
const std::string kBillionLaughs = podpower::testing::BillionLaughsYaml();

TEST(Manifest, billion_laughs_is_refused_as_excessive_aliasing) {
  const std::string error =
      ErrorOf([&] { RecordsFromManifest(kBillionLaughs, "bomb.yaml"); });
  EXPECT_EQ(error.rfind("bomb.yaml:", 0), 0u) << error;
  EXPECT_NE(
      error.find(": document 1: YAML aliases expand to more than 10000 nodes"),
      std::string::npos)
      << error;
  EXPECT_NE(error.find("(excessive aliasing)"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos);

  // The same through `collect from-file`, after a good document.
  auto dir = std::filesystem::temp_directory_path() /
             ("podpower_manifest_bomb_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / "bomb.yaml").string();
  std::ofstream(path) << kCoreDns << "---\n" << kBillionLaughs;
  EXPECT_NE(
      ErrorOf([&] {
        CollectFromFiles({path}, (dir / "out.ndjson").string());
      }).find(": document 2: YAML aliases expand to more than 10000 nodes"),
      std::string::npos);
  EXPECT_EQ(ErrorOf([&] {
              CollectFromFiles({path}, (dir / "out.ndjson").string());
            }).rfind(path + ":", 0),
            0u);
  EXPECT_FALSE(std::filesystem::exists(dir / "out.ndjson"));
  std::filesystem::remove_all(dir);
}

TEST(Manifest, many_small_expansions_share_one_budget) {
  // Each document's aliases add 8289 nodes, below the limit alone; the text's
  // ten documents together are over it.
  std::string text;
  for (int d = 0; d < 10; ++d) {
    text += "---\n";
    std::string_view bomb = kBillionLaughs;
    text += bomb.substr(0, bomb.find("e: &e"));
  }
  EXPECT_NE(ErrorOf([&] {
              ParseManifestDocuments(text, "many.yaml");
            }).find("(excessive aliasing)"),
            std::string::npos);
  EXPECT_EQ(
      ParseManifestDocuments(text.substr(0, text.find("---", 4)), "one.yaml")
          .size(),
      1u);
}

TEST(Manifest, padding_around_aliases_buys_no_expansion) {
  // The bomb's first five lines expand to 9^5 strings through aliases, less
  // than two nodes per byte of this text, but more than the aliases' own
  // allowance.
  std::string_view bomb = kBillionLaughs;
  std::string text = "# " + std::string(100'000, 'x') + "\n" +
                     std::string(bomb.substr(0, bomb.find("f: &f")));
  EXPECT_NE(ErrorOf([&] {
              ParseManifestDocuments(text, "padded.yaml");
            }).find("YAML aliases expand to more than 10000 nodes"),
            std::string::npos);
}

TEST(Manifest, recursive_alias_is_refused_by_the_depth_limit) {
  const std::string error =
      ErrorOf([&] { ParseManifestDocuments("&a [*a]\n", "loop.yaml"); });
  EXPECT_EQ(error,
            "loop.yaml:1: document 1: YAML nests deeper than 1000 levels with "
            "its aliases followed; refused (recursive or excessive aliasing)");
}

TEST(Manifest, aliased_long_scalar_is_refused_by_the_byte_limit) {
  // A 1 MiB string aliased 10 times: 10 MiB of copies from 1 MiB of text.
  std::string text = "k: &s " + std::string(1 << 20, 'x') + "\nl: [";
  for (int i = 0; i < 10; ++i) text += "*s,";
  text += "]\n";
  EXPECT_NE(ErrorOf([&] { ParseManifestDocuments(text, "long.yaml"); })
                .find("YAML aliases expand to more than 1048576 bytes of "
                      "scalars; refused (excessive aliasing)"),
            std::string::npos);
  // Three copies of 256 KiB (768 KiB through aliases) are fine.
  std::string three =
      "k: &s " + std::string(256 << 10, 'x') + "\nl: [*s,*s,*s]\n";
  EXPECT_EQ(ParseManifestDocuments(three, "long.yaml")[0]["l"].size(), 3u);
  const std::string too_long = "k: " + std::string((4 << 20) + 1, 'x') + "\n";
  EXPECT_NE(ErrorOf([&] {
              ParseManifestDocuments(too_long, "long.yaml");
            }).find("a YAML scalar of 4194305 bytes is longer than the limit"),
            std::string::npos);
}

TEST(Manifest, nesting_too_deep_for_the_parser_says_so) {
  std::string deep(600, '[');
  deep += std::string(600, ']');
  const std::string error =
      ErrorOf([&] { ParseManifestDocuments("k: " + deep, "deep.yaml"); });
  EXPECT_EQ(error.rfind("deep.yaml:1:", 0), 0u) << error;
  EXPECT_NE(error.find("YAML nests too deep"), std::string::npos) << error;
}

TEST(Manifest, anchors_and_aliases_of_a_real_manifest_still_work) {
  const char* text = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: &labels {app: web}}
spec:
  template:
    metadata: {labels: *labels}
    spec:
      containers:
        - {name: a, image: "nginx:1.25", resources: &r {requests: {cpu: 250m}}}
        - {name: b, image: "nginx:1.25", resources: *r}
)";
  auto records = RecordsFromManifest(text, "anchors.yaml");
  ASSERT_EQ(records.size(), 1u);
  ASSERT_EQ(records[0].containers.size(), 2u);
  EXPECT_EQ(records[0].containers[0].req_cpu_mcpu, 250);
  EXPECT_EQ(records[0].containers[1].req_cpu_mcpu, 250);
  EXPECT_EQ(records[0].labels.at("app"), "web");
}

}  // namespace
}  // namespace podpower::collect
