#include "encode/synthetic_requests.h"

#include <array>
#include <string>

namespace podpower::encode {
namespace {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {  // splitmix64
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  bool Chance(int percent) { return Below(100) < static_cast<size_t>(percent); }
  template <typename T, size_t N>
  const T& Pick(const std::array<T, N>& items) {
    return items[Below(N)];
  }

 private:
  uint64_t state_;
};

struct ImageKind {
  const char* image;
  const char* role;
  bool gpu;
};

constexpr std::array<ImageKind, 14> kImages = {{
    {"nginx:1.25", "web", false},
    {"registry.k8s.io/ingress-nginx/controller:v1.13.3", "ingress", false},
    {"redis:7.2", "cache", false},
    {"postgres:16", "db", false},
    {"ghcr.io/example/api-server:2.4.1", "api", false},
    {"python:3.12-slim", "worker", false},
    {"busybox:1.36", "batch", false},
    {"prom/prometheus:v2.53.0", "monitoring", false},
    {"quay.io/sustainable_computing_io/kepler:release-0.7.11", "monitoring",
     false},
    {"nvcr.io/nvidia/pytorch:24.05-py3", "training", true},
    {"tensorflow/serving:2.15.0-gpu", "inference", true},
    {"bitnami/kafka:3.7", "stream", false},
    {"openjdk:21-jdk", "api", false},
    {"ghcr.io/example/etl:0.9", "batch", false},
}};
constexpr std::array<const char*, 8> kNamespaces = {
    "default",    "prod", "staging",     "ml",
    "monitoring", "data", "kube-system", "energy"};
constexpr std::array<const char*, 10> kWords = {
    "alpha",  "billing", "search",  "orders", "users",
    "ingest", "report",  "feature", "model",  "edge"};
constexpr std::array<int64_t, 8> kCpu = {10,  50,   100,  250,
                                         500, 1000, 2000, 4000};
constexpr std::array<int64_t, 8> kMem = {32,  64,   128,  256,
                                         512, 1024, 4096, 16384};
constexpr std::array<const char*, 6> kNodeTypes = {"m5.large",    "m5.2xlarge",
                                                   "c6i.4xlarge", "r6g.xlarge",
                                                   "g4dn.xlarge", "p3.2xlarge"};
constexpr std::array<const char*, 10> kVolumes = {
    "emptyDir",  "hostPath", "persistentVolumeClaim",
    "configMap", "secret",   "downwardAPI",
    "projected", "nfs",      "ephemeral",
    "other"};

const char* PickKind(Rng& rng) {
  size_t r = rng.Below(100);
  if (r < 45) return "Deployment";
  if (r < 60) return "Pod";
  if (r < 72) return "Job";
  if (r < 80) return "CronJob";
  if (r < 90) return "StatefulSet";
  if (r < 96) return "DaemonSet";
  return "ReplicaSet";
}

}  // namespace

std::vector<io::InferenceRequest> SyntheticRequests(size_t n, uint64_t seed) {
  Rng rng(seed ^ 0x706f64706f776572ULL);
  std::vector<io::InferenceRequest> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    io::InferenceRequest r;
    const ImageKind& main = rng.Pick(kImages);
    r.namespace_ = main.gpu ? "ml" : rng.Pick(kNamespaces);
    r.workload_kind = PickKind(rng);
    std::string base = std::string(rng.Pick(kWords)) + "-" + main.role;
    if (rng.Chance(50)) base += "-" + std::to_string(rng.Below(50));
    r.workload_name = base;
    if (r.workload_kind == "Pod") {
      static constexpr char kAlnum[] = "bcdfghjklmnpqrstvwxz2456789";
      r.workload_name +=
          "-" + std::to_string(0x5d4f8c9b7 + rng.Below(1 << 20)) + "-";
      for (int k = 0; k < 5; ++k)
        r.workload_name += kAlnum[rng.Below(sizeof kAlnum - 1)];
    }
    r.labels["app"] = base;
    if (rng.Chance(60)) r.labels["app.kubernetes.io/component"] = main.role;
    if (rng.Chance(40))
      r.labels["version"] = "v" + std::to_string(1 + rng.Below(5));
    if (rng.Chance(30)) r.labels["team"] = rng.Pick(kWords);
    if (rng.Chance(25)) r.annotations["prometheus.io/scrape"] = "true";
    if (rng.Chance(10))
      r.annotations["kubectl.kubernetes.io/restartedAt"] =
          "2025-10-23T18:49:47Z";
    const size_t containers = 1 + (rng.Chance(30) ? 1 + rng.Below(2) : 0);
    for (size_t c = 0; c < containers; ++c) {
      const ImageKind& img = c == 0 ? main : rng.Pick(kImages);
      io::Container ct;
      ct.name =
          c == 0 ? std::string(main.role) : "sidecar-" + std::to_string(c);
      ct.image = img.image;
      if (rng.Chance(30))
        ct.command = std::vector<std::string>{"/bin/sh", "-c"};
      if (rng.Chance(50)) {
        ct.args = std::vector<std::string>{
            "--port=" + std::to_string(8000 + rng.Below(100)),
            "--log-level=info"};
        if (rng.Chance(30))
          ct.args->push_back("--workers=" + std::to_string(1 + rng.Below(16)));
      }
      if (rng.Chance(75)) ct.req_cpu_mcpu = rng.Pick(kCpu) * (img.gpu ? 4 : 1);
      if (rng.Chance(75)) ct.req_mem_mib = rng.Pick(kMem) * (img.gpu ? 4 : 1);
      if (rng.Chance(40) && ct.req_cpu_mcpu)
        ct.lim_cpu_mcpu = *ct.req_cpu_mcpu * 2;
      if (rng.Chance(55) && ct.req_mem_mib)
        ct.lim_mem_mib = *ct.req_mem_mib * 2;
      if (img.gpu) r.gpu_count += 1 + static_cast<int64_t>(rng.Below(4));
      r.containers.push_back(std::move(ct));
    }
    r.init_container_count =
        rng.Chance(20) ? 1 + static_cast<int64_t>(rng.Below(2)) : 0;
    const size_t volumes = rng.Below(5);
    for (size_t v = 0; v < volumes; ++v)
      r.volume_types.push_back(rng.Pick(kVolumes));
    if (main.gpu) {
      r.node_type = rng.Chance(50) ? "g4dn.xlarge" : "p3.2xlarge";
      if (rng.Chance(70)) r.runtime_class = "nvidia";
    } else {
      if (rng.Chance(35)) r.node_type = rng.Pick(kNodeTypes);
      if (rng.Chance(5)) r.runtime_class = "gvisor";
    }
    if (r.workload_kind == "Job" || r.workload_kind == "CronJob") {
      r.parallelism = 1 + static_cast<int64_t>(rng.Below(4));
      r.completions = rng.Chance(70) ? std::optional<int64_t>(*r.parallelism)
                                     : std::nullopt;
    }
    r.raw = io::ToJson(r);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace podpower::encode
