#include "simulate/simulate.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "io/atomic_file.h"
#include "io/error.h"
#include "io/progress.h"
#include "simulate/catalog.h"

namespace podpower::simulate {
namespace {

constexpr const char* kNodes[] = {"node-a1", "node-a2", "node-b1", "node-b2",
                                  "gpu-node-1"};
constexpr const char* kPrefixes[] = {
    "orders",  "catalog", "checkout", "search",    "users",  "billing",
    "reports", "events",  "media",    "auth",      "ledger", "inventory",
    "profile", "notify",  "pricing",  "analytics", "ingest", "export"};

std::string RoleNamespace(const std::string& role, std::mt19937_64& rng) {
  static const std::map<std::string, std::vector<std::string>> by_role = {
      {"web", {"shop", "payments", "frontend"}},
      {"database", {"data", "payments"}},
      {"cache", {"shop", "data"}},
      {"queue", {"platform", "data"}},
      {"search", {"data"}},
      {"logging", {"platform"}},
      {"batch", {"analytics"}},
      {"ml-training", {"ml"}},
      {"ml-serving", {"ml"}},
      {"backup", {"backup"}},
      {"monitoring", {"monitoring"}}};
  const auto& list = by_role.at(role);
  return list[rng() % list.size()];
}

std::string RandomSuffix(std::mt19937_64& rng, size_t n, bool hex) {
  // Kubernetes' pod suffix alphabet has no vowels or look-alikes.
  static const std::string alnum = "bcdfghjklmnpqrstvwxz2456789";
  static const std::string hexdigits = "0123456789abcdef";
  const std::string& alphabet = hex ? hexdigits : alnum;
  std::string s;
  for (size_t i = 0; i < n; ++i) s += alphabet[rng() % alphabet.size()];
  return s;
}

std::string Uid(std::mt19937_64& rng) {
  const std::string h = RandomSuffix(rng, 32, true);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" +
         h.substr(16, 4) + "-" + h.substr(20, 12);
}

// Utilisation multiplier of the pattern at time t (unix seconds).
double PatternFactor(Pattern p, double t, double phase, std::mt19937_64& rng) {
  switch (p) {
    case Pattern::kDiurnal:
      return 0.65 + 0.35 * std::sin(2 * M_PI * (t / 86400.0 + phase));
    case Pattern::kBursty:
      return std::uniform_real_distribution<double>(0, 1)(rng) < 0.1 ? 2.5
                                                                     : 0.7;
    case Pattern::kSteady:
    case Pattern::kBatch:
    default:
      return 1.0;
  }
}

// "M * * * *" and "M */N * * *" (the shapes the catalog uses): the tick times
// in [start, end).
std::vector<int64_t> CronTicks(const std::string& schedule, int64_t start,
                               int64_t end) {
  int minute = 0, every_hours = 1;
  if (std::sscanf(schedule.c_str(), "%d */%d", &minute, &every_hours) < 1)
    minute = 0;
  if (every_hours < 1) every_hours = 1;
  std::vector<int64_t> ticks;
  for (int64_t h = start / 3600 * 3600; h < end; h += 3600) {
    if ((h / 3600) % every_hours != 0) continue;
    const int64_t t = h + 60 * minute;
    if (t >= start && t < end) ticks.push_back(t);
  }
  return ticks;
}

std::string Quote(const std::string& s) { return nlohmann::json(s).dump(); }

std::string YamlList(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + Quote(v[i]);
  return out + "]";
}

std::string Labels(const std::map<std::string, std::string>& m, int indent) {
  std::string out;
  for (const auto& [k, v] : m)
    out += std::string(indent, ' ') + Quote(k) + ": " + Quote(v) + "\n";
  return out;
}

// The pod template's spec block at `indent`.
std::string PodSpecYaml(const io::InferenceRequest& r, const Template& t,
                        int indent) {
  const std::string p(indent, ' ');
  std::string y;
  if (r.node_type)
    y += p + "nodeSelector:\n" + p +
         "  node.kubernetes.io/instance-type: " + Quote(*r.node_type) + "\n";
  if (r.workload_kind == "Job" || r.workload_kind == "CronJob")
    y += p + "restartPolicy: OnFailure\n";
  if (t.init_container) {
    y += p + "initContainers:\n" + p + "- name: init-permissions\n" + p +
         "  image: busybox:1.36\n" + p +
         "  command: [\"sh\", \"-c\", \"chown -R 1000:1000 /data\"]\n";
  }
  y += p + "containers:\n";
  for (const auto& c : r.containers) {
    y += p + "- name: " + Quote(c.name) + "\n" + p +
         "  image: " + Quote(c.image) + "\n";
    if (c.command) y += p + "  command: " + YamlList(*c.command) + "\n";
    if (c.args) y += p + "  args: " + YamlList(*c.args) + "\n";
    const bool gpu = &c == &r.containers.front() && r.gpu_count > 0;
    // A BestEffort container (no requests, no limits) has no resources block.
    const bool requests = c.req_cpu_mcpu || c.req_mem_mib;
    if (!requests && !c.lim_cpu_mcpu && !gpu) continue;
    y += p + "  resources:\n";
    if (requests) {
      std::vector<std::string> parts;
      if (c.req_cpu_mcpu)
        parts.push_back(fmt::format("cpu: \"{}m\"", *c.req_cpu_mcpu));
      if (c.req_mem_mib)
        parts.push_back(fmt::format("memory: \"{}Mi\"", *c.req_mem_mib));
      y += p + fmt::format("    requests: {{{}}}\n", fmt::join(parts, ", "));
    }
    if (c.lim_cpu_mcpu || gpu) {
      y += p + "    limits: {";
      if (c.lim_cpu_mcpu)
        y += fmt::format("cpu: \"{}m\", memory: \"{}Mi\"", *c.lim_cpu_mcpu,
                         c.lim_mem_mib.value_or(0));
      if (gpu)
        y += fmt::format("{}nvidia.com/gpu: {}", c.lim_cpu_mcpu ? ", " : "",
                         r.gpu_count);
      y += "}\n";
    }
  }
  if (!r.volume_types.empty()) {
    y += p + "volumes:\n";
    int i = 0;
    for (const auto& v : r.volume_types) {
      y += p + fmt::format("- name: vol{}\n", i++);
      if (v == "persistentVolumeClaim") {
        y += p + "  persistentVolumeClaim: {claimName: " +
             Quote(r.workload_name + "-data") + "}\n";
      } else if (v == "configMap" || v == "secret") {
        y += p + "  " + v + ": {" + (v == "secret" ? "secretName" : "name") +
             ": " + Quote(r.workload_name + "-" + v) + "}\n";
      } else if (v == "hostPath") {
        y += p + "  hostPath: {path: /var/log}\n";
      } else {
        y += p + "  emptyDir: {}\n";
      }
    }
  }
  return y;
}

std::string ManifestYaml(const io::InferenceRequest& r, const Template& t,
                         int replicas) {
  std::string y;
  const std::string& kind = r.workload_kind;
  const std::string api =
      kind == "Job" || kind == "CronJob" ? "batch/v1" : "apps/v1";
  y += "apiVersion: " + api + "\nkind: " + kind +
       "\nmetadata:\n  name: " + Quote(r.workload_name) +
       "\n  namespace: " + Quote(r.namespace_) + "\n  labels:\n" +
       Labels(r.labels, 4) + "spec:\n";
  std::string pod_meta = "metadata:\n  labels:\n" + Labels(r.labels, 4);
  if (!r.annotations.empty())
    pod_meta += "  annotations:\n" + Labels(r.annotations, 4);
  auto indent = [](const std::string& text, int n) {
    std::string out, line;
    for (char c : text) {
      line += c;
      if (c == '\n') {
        out += std::string(n, ' ') + line;
        line.clear();
      }
    }
    return out;
  };
  if (kind == "CronJob") {
    y += "  schedule: " + Quote(t.schedule) +
         "\n  concurrencyPolicy: Forbid\n  jobTemplate:\n    spec:\n" +
         fmt::format("      parallelism: {}\n      completions: {}\n",
                     r.parallelism.value_or(1), r.completions.value_or(1)) +
         "      template:\n" + indent(pod_meta, 8) + "        spec:\n" +
         PodSpecYaml(r, t, 10);
  } else {
    if (kind == "Job") {
      y += fmt::format("  parallelism: {}\n  completions: {}\n",
                       r.parallelism.value_or(1), r.completions.value_or(1));
    } else {
      if (kind != "DaemonSet") y += fmt::format("  replicas: {}\n", replicas);
      if (kind == "StatefulSet")
        y += "  serviceName: " + Quote(r.workload_name) + "\n";
      y += "  selector:\n    matchLabels:\n" +
           Labels({{"app.kubernetes.io/instance", r.workload_name}}, 6);
    }
    y += "  template:\n" + indent(pod_meta, 4) + "    spec:\n" +
         PodSpecYaml(r, t, 6);
  }
  return y;
}

struct Workload {
  const Template* t = nullptr;
  io::InferenceRequest request;
  int replicas = 1;
  double utilisation = 0;  // hidden: the template's, times a workload factor
  double phase = 0;
  double hidden_cores = 0;  // hidden: busy cores at full load, request aside
  bool no_request = false;  // BestEffort: no requests or limits in the spec
};

// The spread of the hidden per-workload core count around the catalog's
// typical pod request: lognormal with log-std 0.5, about the spread of the
// request scales {0.5, 1, 1, 1.5, 2} (log-std 0.47), mean 1 so that the
// typical request is also the mean hidden count.
constexpr double kHiddenCoresSigma = 0.5;
// The log-std of the per-workload utilisation factor.
constexpr double kUtilisationSigma = 0.3;
// The sidecar's CPU request, also part of the catalog's typical pod request.
constexpr int kSidecarMcpu = 50;

// CPU cores a pod of this template requests at scale 1.
double TypicalCores(const Template& t) {
  return (t.cpu_req_mcpu + (t.sidecar ? kSidecarMcpu : 0)) / 1000.0;
}

// Busy cores at utilisation 1: the coupling's mix of the request and the
// hidden count; the hidden count alone when the spec has no request.
double BusyCores(const Workload& w, double request_cores, double coupling) {
  if (w.no_request) return w.hidden_cores;
  if (coupling == 1) return request_cores;  // exactly the pre-coupling model
  return coupling * request_cores + (1 - coupling) * w.hidden_cores;
}

double NormalCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// E[clamp(m * exp(s Z), a, b)] for Z ~ N(0,1), 0 < a < b, m, s > 0 (the
// lognormal's partial expectation between a and b plus the clipped tails).
double ClampedLognormalMean(double m, double s, double a, double b) {
  const double za = std::log(a / m) / s, zb = std::log(b / m) / s;
  return a * NormalCdf(za) + b * (1 - NormalCdf(zb)) +
         m * std::exp(s * s / 2) * (NormalCdf(zb - s) - NormalCdf(za - s));
}

// E[max(0, 1 + s Z)] for Z ~ N(0,1): the mean per-sample noise factor.
double ClippedNoiseMean(double s) {
  if (!(s > 0)) return 1;
  const double x = 1 / s;
  return NormalCdf(x) + s * std::exp(-x * x / 2) / std::sqrt(2 * M_PI);
}

// The oracle (docs/formats/simulate.md): the expected mean watts of one pod of
// `w` over the hidden draws (U_w, hidden cores, phase, bursts, noise), using
// only what the spec and the catalog say. `cpu_w`/`gpu_w` receive the two
// parts. Always-running pods live over the whole window (samples at start +
// k step, k = 1..n, energy divided by end - start); Job pods' times are hidden
// and taken as a whole number of scrape intervals.
void Oracle(const Workload& w, double coupling, int64_t start, int64_t end,
            int64_t step, double& cpu_w, double& gpu_w) {
  const Template& t = *w.t;
  const double m = t.utilisation, s = kUtilisationSigma;
  const double mean_u = ClampedLognormalMean(m, s, 0.02, 1.0);
  // Mean over the samples of E[u(t)]; u <= 1.5 binds only in bursts (U_w <= 1
  // and the other patterns are <= 1).
  double u = mean_u;
  if (t.pattern == Pattern::kBursty) {
    // min(1.5, 2.5 U) = 2.5 min(0.6, U), and min(0.6, clamp(X, 0.02, 1)) =
    // clamp(X, 0.02, 0.6).
    u = 0.1 * 2.5 * ClampedLognormalMean(m, s, 0.02, 0.6) + 0.9 * 0.7 * mean_u;
  }
  const int64_t n = (end - start) / step;  // the window's samples
  if (t.pattern == Pattern::kDiurnal && n > 0) {
    // E over phase ~ U[0, 0.1) of sin(2 pi (a + phase)), averaged over the
    // window's samples (Job pods, whose times are hidden, have no diurnal
    // family in the catalog).
    double sum = 0;
    for (int64_t k = 1; k <= n; ++k) {
      const double a = static_cast<double>(start + k * step) / 86400.0;
      sum += 10 / (2 * M_PI) *
             (std::cos(2 * M_PI * a) - std::cos(2 * M_PI * (a + 0.1)));
    }
    u = mean_u * (0.65 + 0.35 * sum / static_cast<double>(n));
  }
  // Energy over n whole intervals divided by the pod's life.
  const bool always = t.kind == "Deployment" || t.kind == "StatefulSet" ||
                      t.kind == "DaemonSet";
  const double window = always && n > 0 ? static_cast<double>(n * step) /
                                              static_cast<double>(end - start)
                                        : 1;
  double request_cores = 0;
  for (const auto& c : w.request.containers)
    request_cores += static_cast<double>(c.req_cpu_mcpu.value_or(0)) / 1000;
  // E[hidden cores] is the typical request (mean-1 lognormal factor); the
  // hidden count, U_w and the samples' draws are independent, so the
  // expectation of their product is the product of expectations.
  const double cores = w.no_request ? TypicalCores(t)
                                    : coupling * request_cores +
                                          (1 - coupling) * TypicalCores(t);
  const double noise = ClippedNoiseMean(t.noise);
  cpu_w = window * noise * (t.idle_w + t.core_w * cores * u);
  gpu_w = window * noise * t.gpu_w * t.gpus * u;
}

struct PodPlan {
  size_t workload = 0;
  PodTruth truth;
  std::string owner_kind, owner_name;  // kube_pod_owner
  std::vector<std::string> containers;
  std::vector<double> container_share;
};

}  // namespace

Simulation Simulate(const SimulateOptions& o, std::ostream& log) {
  if (o.workloads < 1)
    throw Error(fmt::format("--workloads: expected >= 1, got {}", o.workloads));
  if (!(o.hours > 0) || o.hours > 24 * 30)
    throw Error(fmt::format("--hours: expected (0, 720], got {}", o.hours));
  if (!(o.scrape_seconds >= 1 && o.scrape_seconds <= 3600))
    throw Error(fmt::format("--scrape-interval: expected 1..3600 s, got {}",
                            o.scrape_seconds));
  const bool v010 = o.kepler_schema == "v0.10";
  if (!v010 && o.kepler_schema != "v0.7")
    throw Error("--kepler-schema: expected v0.7 or v0.10, got '" +
                o.kepler_schema + "'");
  if (!(o.request_coupling >= 0 && o.request_coupling <= 1))
    throw Error(
        fmt::format("--request-coupling: expected a number in [0, 1], "
                    "got {}",
                    o.request_coupling));
  if (!(o.no_request_share >= 0 && o.no_request_share <= 1))
    throw Error(
        fmt::format("--no-request-share: expected a number in [0, 1], "
                    "got {}",
                    o.no_request_share));
  if (o.out_dir.empty()) throw Error("--out: an output folder is required");
  std::error_code ec;
  std::filesystem::create_directories(
      std::filesystem::path(o.out_dir) / "manifests", ec);
  if (ec)
    throw Error(o.out_dir + ": cannot create output folder: " + ec.message());

  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> uniform(0, 1);
  std::normal_distribution<double> normal(0, 1);
  // The hidden core counts and the no-request choice come from their own
  // generator, so `rng`'s stream (and with --no-request-share 0 every file but
  // the oracle columns and simulation.json) is what it was before they existed.
  std::mt19937_64 hidden_rng(o.seed ^ 0x9e3779b97f4a7c15ULL);
  std::uniform_real_distribution<double> hidden_uniform(0, 1);
  std::normal_distribution<double> hidden_normal(0, 1);
  const int64_t duration = static_cast<int64_t>(std::llround(o.hours * 3600));
  Simulation sim;
  sim.start = o.start;
  if (sim.start == 0) {
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    sim.start = (now - duration) / 60 * 60;
  }
  sim.end = sim.start + duration;
  const int64_t step = static_cast<int64_t>(o.scrape_seconds);

  // Workloads.
  const auto& catalog = Catalog();
  std::vector<Workload> workloads;
  std::set<std::pair<std::string, std::string>> names;
  for (int i = 0; i < o.workloads; ++i) {
    Workload w;
    w.t = &catalog[rng() % catalog.size()];
    const Template& t = *w.t;
    io::InferenceRequest& r = w.request;
    r.namespace_ = RoleNamespace(t.role, rng);
    std::string name =
        std::string(kPrefixes[rng() % std::size(kPrefixes)]) + "-" + t.family;
    if (!names.insert({r.namespace_, name}).second) {
      name += fmt::format("-{}", i);
      names.insert({r.namespace_, name});
    }
    r.workload_kind = t.kind;
    r.workload_name = name;
    r.labels = {{"app.kubernetes.io/name", t.family},
                {"app.kubernetes.io/instance", name},
                {"app.kubernetes.io/component", t.role},
                {"app.kubernetes.io/part-of", r.namespace_}};
    if (uniform(rng) < 0.3) r.annotations["prometheus.io/scrape"] = "true";
    const double scale = std::vector<double>{0.5, 1, 1, 1.5, 2}[rng() % 5];
    io::Container main;
    main.name = t.family;
    main.image = t.images[rng() % t.images.size()];
    if (!t.command.empty()) main.command = t.command;
    if (!t.args.empty()) main.args = t.args;
    main.req_cpu_mcpu =
        static_cast<int64_t>(std::llround(t.cpu_req_mcpu * scale));
    main.req_mem_mib =
        static_cast<int64_t>(std::llround(t.mem_req_mib * scale));
    if (uniform(rng) < 0.8) {
      main.lim_cpu_mcpu = static_cast<int64_t>(std::llround(
          static_cast<double>(*main.req_cpu_mcpu) * t.limit_factor));
      main.lim_mem_mib = static_cast<int64_t>(std::llround(
          static_cast<double>(*main.req_mem_mib) * t.limit_factor));
    }
    r.containers.push_back(main);
    if (t.sidecar) {
      io::Container side;
      side.name = "log-shipper";
      side.image = "fluent/fluent-bit:2.2.0";
      side.args =
          std::vector<std::string>{"-c", "/fluent-bit/etc/sidecar.conf"};
      side.req_cpu_mcpu = 50;
      side.req_mem_mib = 64;
      side.lim_cpu_mcpu = 100;
      side.lim_mem_mib = 128;
      r.containers.push_back(side);
    }
    r.init_container_count = t.init_container ? 1 : 0;
    r.volume_types = t.volume_types;
    r.gpu_count = t.gpus;
    if (t.gpus > 0) r.node_type = "g5.2xlarge";
    w.replicas =
        t.replicas_min +
        static_cast<int>(rng() % (t.replicas_max - t.replicas_min + 1));
    if (t.kind == "DaemonSet") w.replicas = 4;  // the non-GPU nodes
    if (t.kind == "Job" || t.kind == "CronJob") {
      r.parallelism = w.replicas;
      r.completions = w.replicas * (t.kind == "Job" ? 1 + rng() % 2 : 1);
    }
    // Hidden: how busy this particular workload is (not in its spec).
    w.utilisation =
        std::clamp(t.utilisation * std::exp(0.3 * normal(rng)), 0.02, 1.0);
    w.phase = uniform(rng) * 0.1;
    // Both drawn for every workload whatever the options, so changing the
    // coupling or the share does not reshuffle the other workloads.
    w.hidden_cores = TypicalCores(t) *
                     std::exp(kHiddenCoresSigma * hidden_normal(hidden_rng) -
                              kHiddenCoresSigma * kHiddenCoresSigma / 2);
    w.no_request = hidden_uniform(hidden_rng) < o.no_request_share;
    if (w.no_request) {
      for (auto& c : r.containers) {
        c.req_cpu_mcpu.reset();
        c.req_mem_mib.reset();
        c.lim_cpu_mcpu.reset();
        c.lim_mem_mib.reset();
      }
    }
    sim.families.push_back(t.family);
    workloads.push_back(std::move(w));
  }

  // Pods.
  std::vector<PodPlan> pods;
  struct JobRun {
    std::string ns, job, cronjob;
    int64_t start, end;
  };
  std::vector<JobRun> jobs;
  std::map<std::pair<std::string, std::string>, std::string> replicasets;
  for (size_t wi = 0; wi < workloads.size(); ++wi) {
    const Workload& w = workloads[wi];
    const Template& t = *w.t;
    const auto& r = w.request;
    auto add_pod = [&](const std::string& pod, int64_t start, int64_t end,
                       const std::string& owner_kind,
                       const std::string& owner_name, const std::string& node) {
      PodPlan p;
      p.workload = wi;
      p.truth.namespace_ = r.namespace_;
      p.truth.workload_kind = r.workload_kind;
      p.truth.workload_name = r.workload_name;
      p.truth.pod = pod;
      p.truth.uid = Uid(rng);
      p.truth.node = node;
      p.truth.family = t.family;
      p.truth.pattern = PatternName(t.pattern);
      p.truth.start = start;
      p.truth.end = end;
      p.owner_kind = owner_kind;
      p.owner_name = owner_name;
      double total = 0;
      for (const auto& c : r.containers)
        total += static_cast<double>(c.req_cpu_mcpu.value_or(0));
      for (const auto& c : r.containers) {
        p.containers.push_back(c.name);
        // Without requests Kepler would still split by measured use; equal
        // shares stand in for it.
        p.container_share.push_back(
            total > 0 ? static_cast<double>(c.req_cpu_mcpu.value_or(0)) / total
                      : 1.0 / static_cast<double>(r.containers.size()));
      }
      pods.push_back(std::move(p));
    };
    const std::string gpu_node = "gpu-node-1";
    auto node = [&](size_t i) {
      return t.gpus > 0 ? gpu_node : std::string(kNodes[i % 4]);
    };
    if (t.kind == "Deployment") {
      const std::string rs =
          r.workload_name + "-" + RandomSuffix(rng, 10, false);
      replicasets[{r.namespace_, rs}] = r.workload_name;
      for (int i = 0; i < w.replicas; ++i)
        add_pod(rs + "-" + RandomSuffix(rng, 5, false), sim.start, sim.end,
                "ReplicaSet", rs, node(rng()));
    } else if (t.kind == "StatefulSet") {
      for (int i = 0; i < w.replicas; ++i)
        add_pod(fmt::format("{}-{}", r.workload_name, i), sim.start, sim.end,
                "StatefulSet", r.workload_name, node(i));
    } else if (t.kind == "DaemonSet") {
      for (int i = 0; i < w.replicas; ++i)
        add_pod(r.workload_name + "-" + RandomSuffix(rng, 5, false), sim.start,
                sim.end, "DaemonSet", r.workload_name, node(i));
    } else {
      std::vector<std::pair<std::string, int64_t>> runs;  // job name, start
      if (t.kind == "Job") {
        const int64_t latest =
            std::max<int64_t>(sim.start, sim.end - duration / 2);
        runs.emplace_back(
            r.workload_name,
            sim.start +
                static_cast<int64_t>(uniform(rng) *
                                     static_cast<double>(latest - sim.start)) /
                    step * step);
      } else {
        for (int64_t tick : CronTicks(t.schedule, sim.start, sim.end))
          runs.emplace_back(fmt::format("{}-{}", r.workload_name, tick / 60),
                            tick);
      }
      for (const auto& [job, job_start] : runs) {
        const int waves = static_cast<int>(
            (r.completions.value_or(1) + w.replicas - 1) / w.replicas);
        int64_t wave_start = job_start;
        int64_t job_end = job_start;
        for (int wave = 0; wave < waves && wave_start < sim.end; ++wave) {
          int64_t wave_end = wave_start;
          for (int i = 0; i < w.replicas; ++i) {
            const double minutes = t.run_minutes * (0.8 + 0.4 * uniform(rng));
            const int64_t end = std::min<int64_t>(
                sim.end,
                wave_start + std::max<int64_t>(
                                 2 * step, static_cast<int64_t>(minutes * 60) /
                                               step * step));
            add_pod(job + "-" + RandomSuffix(rng, 5, false), wave_start, end,
                    "Job", job, node(rng()));
            wave_end = std::max(wave_end, end);
          }
          wave_start = wave_end;
          job_end = wave_end;
        }
        jobs.push_back({r.namespace_, job,
                        t.kind == "CronJob" ? r.workload_name : "", job_start,
                        job_end});
      }
    }
  }

  // Samples: cumulative joules per container (v0.7) or pod (v0.10), streamed
  // to kepler.om in pieces of about 1 MiB (a 3,000-workload day is gigabytes
  // of text: memory stays flat in the cluster's size and hours). The GPU
  // series, a family of their own that must follow the CPU family's, are
  // drawn in the same pass (they share its random draws), so they wait in an
  // anonymous temporary file and are appended after it.
  const std::filesystem::path dir(o.out_dir);
  io::AtomicFile om_file((dir / "kepler.om").string());
  std::ofstream& om_out = om_file.stream();
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> gpu_file(std::tmpfile(),
                                                           &std::fclose);
  if (!gpu_file) throw Error("simulate: cannot create a temporary file");
  constexpr size_t kPiece = 1 << 20;
  std::string om, gpu_om;
  size_t gpu_bytes = 0;
  const auto flush = [&](bool all) {
    if (all || om.size() >= kPiece) {
      om_out << om;
      om.clear();
    }
    if (!gpu_om.empty() && (all || gpu_om.size() >= kPiece)) {
      if (std::fwrite(gpu_om.data(), 1, gpu_om.size(), gpu_file.get()) !=
          gpu_om.size())
        throw Error("simulate: cannot write the temporary GPU series");
      gpu_bytes += gpu_om.size();
      gpu_om.clear();
    }
  };
  om += v010 ? "# TYPE kepler_pod_cpu_joules counter\n"
             : "# TYPE kepler_container_joules counter\n";
  io::Progress progress("simulating pods", pods.size());
  for (auto& p : pods) {
    const Workload& w = workloads[p.workload];
    const Template& t = *w.t;
    double cores = 0;
    for (const auto& c : w.request.containers)
      cores += static_cast<double>(c.req_cpu_mcpu.value_or(0)) / 1000;
    const double busy_cores = BusyCores(w, cores, o.request_coupling);
    std::vector<double> counter(p.containers.size(), 0);
    double pod_cpu = 0, pod_gpu = 0;
    std::vector<std::pair<int64_t, double>> cpu_series, gpu_series;
    for (int64_t ts = p.truth.start; ts <= p.truth.end; ts += step) {
      if (ts > p.truth.start) {
        const double u =
            std::min(1.5, w.utilisation * PatternFactor(t.pattern,
                                                        static_cast<double>(ts),
                                                        w.phase, rng));
        const double noise = std::max(0.0, 1 + t.noise * normal(rng));
        const double cpu_w = (t.idle_w + t.core_w * busy_cores * u) * noise;
        const double gpu_w = t.gpu_w * t.gpus * u * noise;
        const double dt = static_cast<double>(step);
        pod_cpu += cpu_w * dt;
        pod_gpu += gpu_w * dt;
        // Container 0 gets its CPU share plus all GPU energy; the CPU shares
        // sum to 1 over the containers.
        for (size_t c = 0; c < counter.size(); ++c)
          counter[c] +=
              cpu_w * dt * p.container_share[c] + (c == 0 ? gpu_w * dt : 0);
      }
      if (v010) {
        cpu_series.emplace_back(ts, pod_cpu);
        gpu_series.emplace_back(ts, pod_gpu);
      }
      if (!v010) {
        for (size_t c = 0; c < counter.size(); ++c) {
          om += fmt::format(
              "kepler_container_joules_total{{container_id=\"{}-{}\","
              "container_name=\"{}\",container_namespace=\"{}\",mode="
              "\"dynamic\",pod_name=\"{}\"}} {:.3f} {}\n",
              p.truth.uid.substr(0, 8), c, p.containers[c], p.truth.namespace_,
              p.truth.pod, counter[c], ts);
        }
      }
    }
    if (v010) {
      for (const auto& [ts, v] : cpu_series) {
        om += fmt::format(
            "kepler_pod_cpu_joules_total{{node_name=\"{}\",pod_id=\"{}\","
            "pod_name=\"{}\",pod_namespace=\"{}\",state=\"running\",zone="
            "\"package\"}} {:.3f} {}\n",
            p.truth.node, p.truth.uid, p.truth.pod, p.truth.namespace_, v, ts);
      }
      if (t.gpus > 0) {
        for (const auto& [ts, v] : gpu_series) {
          gpu_om += fmt::format(
              "kepler_pod_gpu_joules_total{{node_name=\"{}\",pod_id=\"{}\","
              "pod_name=\"{}\",pod_namespace=\"{}\",state=\"running\"}} "
              "{:.3f} {}\n",
              p.truth.node, p.truth.uid, p.truth.pod, p.truth.namespace_, v,
              ts);
        }
      }
    }
    p.truth.energy_j = pod_cpu + pod_gpu;
    p.truth.gpu_energy_j = pod_gpu;
    flush(false);
    progress.Advance();
  }
  flush(true);
  if (gpu_bytes > 0) {
    om_out << "# TYPE kepler_pod_gpu_joules counter\n";
    std::rewind(gpu_file.get());
    std::vector<char> piece(kPiece);
    for (size_t n;
         (n = std::fread(piece.data(), 1, piece.size(), gpu_file.get())) > 0;)
      om_out.write(piece.data(), static_cast<std::streamsize>(n));
  }
  gpu_file.reset();

  // kube-state-metrics owner series, one sample a minute over each life.
  auto life = [&](int64_t a, int64_t b, const std::string& series) {
    for (int64_t ts = a; ts <= b; ts += 60)
      om += fmt::format("{} 1 {}\n", series, ts);
    flush(false);
  };
  om += "# TYPE kube_pod_owner gauge\n";
  for (const auto& p : pods) {
    life(p.truth.start, p.truth.end,
         fmt::format("kube_pod_owner{{namespace=\"{}\",owner_is_controller="
                     "\"true\",owner_kind=\"{}\",owner_name=\"{}\",pod=\"{}\","
                     "uid=\"{}\"}}",
                     p.truth.namespace_, p.owner_kind, p.owner_name,
                     p.truth.pod, p.truth.uid));
  }
  om += "# TYPE kube_replicaset_owner gauge\n";
  for (const auto& [key, deployment] : replicasets) {
    life(sim.start, sim.end,
         fmt::format("kube_replicaset_owner{{namespace=\"{}\","
                     "owner_is_controller=\"true\",owner_kind=\"Deployment\","
                     "owner_name=\"{}\",replicaset=\"{}\"}}",
                     key.first, deployment, key.second));
  }
  om += "# TYPE kube_job_owner gauge\n";
  for (const auto& j : jobs) {
    if (j.cronjob.empty()) continue;
    life(j.start, j.end,
         fmt::format("kube_job_owner{{job_name=\"{}\",namespace=\"{}\","
                     "owner_is_controller=\"true\",owner_kind=\"CronJob\","
                     "owner_name=\"{}\"}}",
                     j.job, j.ns, j.cronjob));
  }
  om += "# EOF\n";
  flush(true);

  // Files.
  for (const auto& w : workloads) sim.requests.push_back(w.request);
  io::WriteInferenceRequests(sim.requests,
                             (dir / "inference_requests.ndjson").string());
  for (const auto& w : workloads) {
    io::WriteTextFile(
        (dir / "manifests" /
         (w.request.namespace_ + "." + w.request.workload_name + ".yaml"))
            .string(),
        ManifestYaml(w.request, *w.t, w.replicas));
  }
  om_file.Commit();
  std::string csv =
      "namespace,workload_kind,workload_name,pod,uid,node,family,pattern,"
      "start,end,energy_j,gpu_energy_j,mean_watts\n";
  std::map<std::tuple<std::string, std::string, std::string>,
           std::pair<double, double>>
      per_workload;  // sum of pod mean watts, pod count
  for (const auto& p : pods) {
    const auto& t = p.truth;
    csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{:.6f},{:.6f},{:.6f}\n",
                       t.namespace_, t.workload_kind, t.workload_name, t.pod,
                       t.uid, t.node, t.family, t.pattern, t.start, t.end,
                       t.energy_j, t.gpu_energy_j, t.mean_watts());
    auto& acc = per_workload[{t.namespace_, t.workload_kind, t.workload_name}];
    acc.first += t.mean_watts();
    acc.second += 1;
    sim.pods.push_back(t);
  }
  io::WriteTextFile((dir / "truth_pods.csv").string(), csv);
  std::string wcsv =
      "namespace,workload_kind,workload_name,family,pods,mean_watts_per_pod,"
      "oracle_watts_per_pod,oracle_label_watts_per_pod\n";
  for (size_t i = 0; i < workloads.size(); ++i) {
    const auto& r = workloads[i].request;
    double cpu_w = 0, gpu_w = 0;
    Oracle(workloads[i], o.request_coupling, sim.start, sim.end, step, cpu_w,
           gpu_w);
    sim.oracle_watts.push_back(cpu_w + gpu_w);
    sim.oracle_label_watts.push_back(v010 ? cpu_w : cpu_w + gpu_w);
    auto it =
        per_workload.find({r.namespace_, r.workload_kind, r.workload_name});
    if (it == per_workload.end()) continue;  // a CronJob with no tick
    wcsv += fmt::format("{},{},{},{},{},{:.6f},{:.6f},{:.6f}\n", r.namespace_,
                        r.workload_kind, r.workload_name, sim.families[i],
                        it->second.second, it->second.first / it->second.second,
                        sim.oracle_watts.back(), sim.oracle_label_watts.back());
  }
  io::WriteTextFile((dir / "truth_workloads.csv").string(), wcsv);
  nlohmann::ordered_json meta{{"workloads", o.workloads},
                              {"hours", o.hours},
                              {"seed", o.seed},
                              {"kepler_schema", o.kepler_schema},
                              {"scrape_seconds", o.scrape_seconds},
                              {"request_coupling", o.request_coupling},
                              {"no_request_share", o.no_request_share},
                              {"start", sim.start},
                              {"end", sim.end},
                              {"pods", pods.size()}};
  io::WriteTextFile((dir / "simulation.json").string(), meta.dump(2) + "\n");
  const auto no_request =
      std::count_if(workloads.begin(), workloads.end(),
                    [](const Workload& w) { return w.no_request; });
  log << fmt::format(
      "simulated {} workloads ({} without requests), {} pods, {} h from {} ({} "
      "Kepler schema, request coupling {}) into {}\n",
      workloads.size(), no_request, pods.size(), o.hours, sim.start,
      o.kepler_schema, o.request_coupling, o.out_dir);
  return sim;
}

}  // namespace podpower::simulate
