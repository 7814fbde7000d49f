// `make bench` part for the live collector, against a real kube-apiserver
// (bench/collect_bench.sh starts it with tests/e2e/kube-up.sh):
//   1. list -> NDJSON throughput for N generated Deployments (objects/s), next
//   to
//      `kubectl get deployments -o json` on the same server as the reference
//      for the raw list cost;
//   2. the collector's resident memory while M watch events (pod template
//   edits, so every event
//      becomes a line) stream through, sampled from /proc/self/status.
// Usage: collect_bench KUBECONFIG [deployments=10000] [events=100000] [podpower
// binary]
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "collect/live_collect.h"
#include "kube/api_client.h"
#include "kube/kubeconfig.h"

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

long RssKiB(const std::string& pid = "self") {
  std::ifstream in("/proc/" + pid + "/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      long kib = 0;
      in >> kib;
      return kib;
    }
    in.ignore(4096, '\n');
  }
  return 0;
}

json Deployment(int i, const std::string& image) {
  std::string name = "bench-" + std::to_string(i);
  json d = json::parse(R"({"apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"labels": {"tier": "bench"}},
    "spec": {"replicas": 1, "selector": {"matchLabels": {}},
      "template": {"metadata": {"labels": {}}, "spec": {"containers": [{"name": "main",
        "args": ["--port", "8080"],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                      "limits": {"cpu": "500m", "memory": "256Mi"}}}]}}}})");
  d["metadata"]["name"] = name;
  d["metadata"]["labels"]["app"] = name;
  d["spec"]["selector"]["matchLabels"]["app"] = name;
  d["spec"]["template"]["metadata"]["labels"]["app"] = name;
  d["spec"]["template"]["spec"]["containers"][0]["image"] = image;
  return d;
}

// Runs fn(i) for i in [0, n) on `threads` threads.
template <typename F>
void Parallel(int n, int threads, F fn) {
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < n; i = next++) fn(i);
    });
  }
  for (auto& th : pool) th.join();
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: collect_bench KUBECONFIG [deployments] [events] "
                 "[podpower]\n";
    return 2;
  }
  std::string kubeconfig = argv[1];
  int deployments = argc > 2 ? std::atoi(argv[2]) : 10000;
  int events = argc > 3 ? std::atoi(argv[3]) : 100000;
  podpower::kube::KubeconfigOptions ko;
  ko.kubeconfig = kubeconfig;
  podpower::kube::ApiClient api(podpower::kube::LoadRestConfig(ko));
  const std::string ns_path = "/apis/apps/v1/namespaces/default/deployments";

  auto t0 = Clock::now();
  Parallel(deployments, 8, [&](int i) {
    api.Send("POST", ns_path, Deployment(i, "nginx:1").dump());
  });
  std::printf("setup: created %d Deployments in %.1f s\n", deployments,
              Seconds(t0));

  // 1. list -> NDJSON.
  podpower::collect::LiveCollectOptions o;
  o.connection = ko;
  o.kinds = {"Deployment"};
  o.output = "/tmp/podpower-collect-bench-list.ndjson";
  double best = 1e9;
  size_t records = 0;
  for (int rep = 0; rep < 3; ++rep) {
    auto t = Clock::now();
    records =
        podpower::collect::CollectList(o, [](const std::string&) {}).records;
    best = std::min(best, Seconds(t));
  }
  std::printf("%-44s %10zu objects %8.2f s %10.0f objects/s\n",
              "podpower collect list (best of 3)", records, best,
              records / best);
  std::string kubectl =
      "kubectl --kubeconfig '" + kubeconfig +
      "' get deployments -A -o json --chunk-size=500 >/dev/null 2>&1";
  if (std::system("command -v kubectl >/dev/null 2>&1") == 0) {
    double ref = 1e9;
    for (int rep = 0; rep < 3; ++rep) {
      auto t = Clock::now();
      if (std::system(kubectl.c_str()) != 0) break;
      ref = std::min(ref, Seconds(t));
    }
    if (ref < 1e9) {
      std::printf(
          "%-44s %10zu objects %8.2f s %10.0f objects/s  (podpower/kubectl "
          "%.2fx)\n",
          "reference: kubectl get -o json (best of 3)", records, ref,
          records / ref, ref / best);
    }
  }
  std::remove(o.output.c_str());

  // 2. RSS while events stream through a running watch.
  o.output = "/tmp/podpower-collect-bench-watch.ndjson";
  std::remove(o.output.c_str());
  // The collector runs as its own `podpower collect watch` process when the
  // binary is given (its RSS alone), else on a thread here (whole process).
  std::string podpower = argc > 4 ? argv[4] : "";
  if (!podpower.empty() && access(podpower.c_str(), X_OK) != 0)
    podpower.clear();
  pid_t child = 0;
  std::string rss_of = "self", what = "whole bench process";
  podpower::http::Cancel stop;
  std::thread watcher;
  if (!podpower.empty()) {
    child = fork();
    if (child == 0) {
      execl(podpower.c_str(), podpower.c_str(), "collect", "watch",
            "--kubeconfig", kubeconfig.c_str(), "--kinds", "Deployment",
            "--output", o.output.c_str(), nullptr);
      _exit(127);
    }
    rss_of = std::to_string(child);
    what = "podpower collect watch process";
  } else {
    watcher = std::thread([&] {
      podpower::collect::CollectWatch(o, stop, [](const std::string&) {});
    });
  }
  std::this_thread::sleep_for(
      std::chrono::seconds(5));  // initial list of all Deployments done
  long rss_start = RssKiB(rss_of), rss_max = rss_start;
  std::vector<long> samples;
  auto t2 = Clock::now();
  std::atomic<int> done{0};
  std::thread sampler([&] {
    while (done.load() < events) {
      long r = RssKiB(rss_of);
      samples.push_back(r);
      rss_max = std::max(rss_max, r);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  });
  Parallel(events, 8, [&](int i) {
    json patch = json::parse(R"({"spec": {"template": {"spec": {"containers": [
        {"name": "main"}]}}}})");
    patch["spec"]["template"]["spec"]["containers"][0]["image"] =
        "nginx:" + std::to_string(i + 2);
    api.Send("PATCH", ns_path + "/bench-" + std::to_string(i % deployments),
             patch.dump(), "application/merge-patch+json");
    ++done;
  });
  sampler.join();
  // Wait until the collector has written every event's line (or 60 s).
  auto wait_until = Clock::now() + std::chrono::seconds(60);
  size_t lines = 0;
  while (Clock::now() < wait_until) {
    std::ifstream in(o.output);
    lines = 0;
    std::string l;
    while (std::getline(in, l)) ++lines;
    if (lines >= static_cast<size_t>(events)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  double secs = Seconds(t2);
  if (child > 0) {
    kill(child, SIGTERM);
    waitpid(child, nullptr, 0);
  } else {
    stop.Trigger();
    watcher.join();
  }
  std::sort(samples.begin(), samples.end());
  long median = samples.empty() ? rss_start : samples[samples.size() / 2];
  std::printf("%-44s %10d events %8.1f s %10.0f events/s\n",
              "watch: template edits streamed", events, secs, events / secs);
  std::printf("%-44s %10zu lines\n", "watch: lines written", lines);
  std::printf("%-44s start %ld MiB, median %ld MiB, max %ld MiB (%s)\n",
              "watch: resident memory", rss_start / 1024, median / 1024,
              rss_max / 1024, what.c_str());
  std::remove(o.output.c_str());
  return lines >= static_cast<size_t>(events) ? 0 : 1;
}
