// The live collector against a real kube-apiserver v1.20.2 + etcd
// (tests/e2e/kube-up.sh starts them on free loopback ports; the binaries are
// built once into ~/.cache/podpower). Objects are created with plain HTTP
// through kube::ApiClient.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "collect/live_collect.h"
#include "collect/live_record.h"
#include "io/error.h"
#include "kube/api_client.h"
#include "kube/kubeconfig.h"
#include "kube/test_cluster.h"

namespace podpower::collect {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

using kube::testing::Cluster;
using kube::testing::Shell;

Cluster* g_cluster = nullptr;

class KubeEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { g_cluster = new Cluster("main"); }
  void TearDown() override {
    delete g_cluster;
    g_cluster = nullptr;
  }
};
const auto* const kEnv =
    ::testing::AddGlobalTestEnvironment(new KubeEnvironment);

json Deployment(const std::string& name, const std::string& image,
                int replicas) {
  return json::parse(
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":")" +
      name + R"("},"spec":{"replicas":)" + std::to_string(replicas) +
      R"(,"selector":{"matchLabels":{"app":")" + name +
      R"("}},"template":{"metadata":{"labels":{"app":")" + name +
      R"("}},"spec":{"containers":[{"name":"main","image":")" + image +
      R"(","resources":{"requests":{"cpu":"250m","memory":"64Mi"}}}]}}}})");
}

json Job(const std::string& name, int parallelism) {
  return json::parse(
      R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":")" + name +
      R"("},"spec":{"parallelism":)" + std::to_string(parallelism) +
      R"(,"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"w",)"
      R"("image":"busybox","command":["sh","-c","true"]}]}}}})");
}

json CronJob(const std::string& name, const std::string& image) {
  return json::parse(
      R"({"apiVersion":"batch/v1beta1","kind":"CronJob","metadata":{"name":")" +
      name +
      R"("},"spec":{"schedule":"0 3 * * *","jobTemplate":{"spec":{"template":)"
      R"({"spec":{"restartPolicy":"OnFailure","containers":[{"name":"c","image":")" +
      image + R"("}]}}}}}})");
}

std::string Path(const std::string& kind, const std::string& ns,
                 const std::string& name = "") {
  std::string base =
      kind == "Deployment" ? "/apis/apps/v1/namespaces/" + ns + "/deployments"
      : kind == "Job"      ? "/apis/batch/v1/namespaces/" + ns + "/jobs"
                      : "/apis/batch/v1beta1/namespaces/" + ns + "/cronjobs";
  return name.empty() ? base : base + "/" + name;
}

void CreateNamespace(kube::ApiClient& api, const std::string& ns) {
  api.Send("POST", "/api/v1/namespaces",
           json({{"apiVersion", "v1"},
                 {"kind", "Namespace"},
                 {"metadata", {{"name", ns}}}})
               .dump());
}

void Create(kube::ApiClient& api, const std::string& ns, const json& object) {
  api.Send("POST", Path(object["kind"], ns), object.dump());
}

void Patch(kube::ApiClient& api, const std::string& kind, const std::string& ns,
           const std::string& name, const json& patch) {
  api.Send("PATCH", Path(kind, ns, name), patch.dump(),
           "application/merge-patch+json");
}

std::vector<json> ReadLines(const std::string& path) {
  std::vector<json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // a line still being written has no newline yet
    if (!line.empty()) out.push_back(json::parse(line));
  }
  return out;
}

// Waits until `path` has at least n lines (or 30 s); returns them.
std::vector<json> WaitLines(const std::string& path, size_t n,
                            std::chrono::seconds limit = 30s) {
  auto until = std::chrono::steady_clock::now() + limit;
  std::vector<json> lines;
  while (std::chrono::steady_clock::now() < until) {
    lines = ReadLines(path);
    if (lines.size() >= n) break;
    std::this_thread::sleep_for(50ms);
  }
  return lines;
}

// A CollectWatch running on a thread, writing to a temp file.
class Watcher {
 public:
  // `previous`: what the output file holds before the watch starts.
  Watcher(const Cluster& cluster, LiveCollectOptions options,
          const std::string& previous = "") {
    output_ = cluster.dir() + "/out-" + std::to_string(counter_++) + ".ndjson";
    if (!previous.empty()) std::ofstream(output_, std::ios::binary) << previous;
    options.connection.kubeconfig = cluster["KUBECONFIG_FILE"];
    options.output = output_;
    thread_ = std::thread([this, options] {
      try {
        stats_ = CollectWatch(options, stop_, [this](const std::string& m) {
          std::lock_guard lock(mu_);
          log_.push_back(m);
        });
      } catch (const std::exception& e) {
        std::lock_guard lock(mu_);
        error_ = e.what();
      }
    });
  }
  ~Watcher() { Stop(); }
  void Stop() {
    stop_.Trigger();
    if (thread_.joinable()) thread_.join();
  }
  const std::string& output() const { return output_; }
  const CollectStats& stats() const { return stats_; }
  std::string error() {
    std::lock_guard lock(mu_);
    return error_;
  }
  std::string Log() {
    std::lock_guard lock(mu_);
    std::string all;
    for (const auto& l : log_) all += l + "\n";
    return all;
  }

 private:
  static inline int counter_ = 0;
  std::string output_;
  http::Cancel stop_;
  std::thread thread_;
  CollectStats stats_;
  std::mutex mu_;
  std::vector<std::string> log_;
  std::string error_;
};

std::string Key(const json& record) {
  return record["workload_kind"].get<std::string>() + "/" +
         record["namespace"].get<std::string>() + "/" +
         record["workload_name"].get<std::string>();
}

TEST(KubeLive, emit_initial_reports_existing_deployments_jobs_and_cronjobs) {
  REQUIRE_CLUSTER(*g_cluster);
  kube::ApiClient api(g_cluster->Config());
  CreateNamespace(api, "initial");
  Create(api, "initial", Deployment("web", "nginx:1.25", 2));
  Create(api, "initial", Job("batch-once", 1));
  Create(api, "initial", CronJob("nightly", "busybox:1"));
  LiveCollectOptions o;
  o.emit_initial = true;
  o.namespaces = {"initial"};
  Watcher w(*g_cluster, o);
  auto lines = WaitLines(w.output(), 3);
  w.Stop();
  ASSERT_EQ(w.error(), "");
  std::set<std::string> keys;
  for (const auto& l : lines) keys.insert(Key(l));
  EXPECT_EQ(keys, (std::set<std::string>{"Deployment/initial/web",
                                         "Job/initial/batch-once",
                                         "CronJob/initial/nightly"}))
      << w.Log();
  EXPECT_EQ(lines.size(), 3u);
  for (const auto& l : lines) {
    EXPECT_EQ(l["schema_version"], "v1");
    EXPECT_EQ(l["event"], "ADDED");
    EXPECT_TRUE(l["uid"].is_string());
    EXPECT_TRUE(l["resource_version"].is_string());
    if (l["workload_kind"] == "Deployment") {
      EXPECT_EQ(l["replicas"], 2);
      EXPECT_EQ(l["containers"][0]["req_cpu_mcpu"], 250);
      EXPECT_EQ(l["effective_requests"]["cpu"], "250m");
      EXPECT_EQ(l["effective_requests"]["memory"], "64Mi");
    }
    if (l["workload_kind"] == "CronJob") {
      EXPECT_EQ(l["schedule"], "0 3 * * *");
    }
    if (l["workload_kind"] == "Job") {
      EXPECT_EQ(l["parallelism"], 1);
    }
  }
}

// A collector SIGKILLed mid-write leaves a partial last line; the next watch
// into the file drops it, so appending resumes on a line boundary and every
// line stays complete JSON.
TEST(KubeLive, partial_last_line_of_a_killed_run_is_dropped_before_appending) {
  REQUIRE_CLUSTER(*g_cluster);
  kube::ApiClient api(g_cluster->Config());
  CreateNamespace(api, "resume");
  Create(api, "resume", Deployment("web", "nginx:1.25", 1));
  LiveCollectOptions o;
  o.emit_initial = true;
  o.namespaces = {"resume"};
  Watcher w(*g_cluster, o, "{\"kept\":1}\n{\"schema_version\":\"v1\",\"nam");
  auto lines = WaitLines(w.output(), 2);
  w.Stop();
  ASSERT_EQ(w.error(), "");
  ASSERT_EQ(lines.size(), 2u) << w.Log();
  EXPECT_EQ(lines[0], json({{"kept", 1}}));
  EXPECT_EQ(Key(lines[1]), "Deployment/resume/web");
}

TEST(KubeLive, create_scale_and_template_edit_give_exactly_the_expected_lines) {
  REQUIRE_CLUSTER(*g_cluster);
  kube::ApiClient api(g_cluster->Config());
  CreateNamespace(api, "changes");
  LiveCollectOptions o;
  o.namespaces = {"changes"};
  Watcher w(*g_cluster, o);
  // The watch starts after the first list; give the informers a moment to be
  // listening.
  std::this_thread::sleep_for(1500ms);

  // Each step either must add exactly one line or none; a later line-producing
  // step proves that a "none" step really produced nothing (lines arrive in
  // order per kind).
  Create(api, "changes", Deployment("api", "nginx:1.25", 1));  // line 1
  Patch(api, "Deployment", "changes", "api",
        {{"spec", {{"replicas", 5}}}});  // none
  Patch(api, "Deployment", "changes", "api",
        {{"spec",
          {{"template",
            {{"spec",
              {{"containers",
                {{{"name", "main"}, {"image", "nginx:1.26"}}}}}}}}}}});  // 2
  Create(api, "changes", Job("etl", 1));  // line 3
  Patch(api, "Job", "changes", "etl",
        {{"spec", {{"parallelism", 3}}}});  // none
  // A Job's pod template is immutable: the API refuses the edit, and no line
  // may appear.
  EXPECT_THROW(
      Patch(
          api, "Job", "changes", "etl",
          {{"spec",
            {{"template",
              {{"spec",
                {{"containers", {{{"name", "w"}, {"image", "alpine"}}}}}}}}}}}),
      kube::ApiError);
  Create(api, "changes", CronJob("report", "busybox:1"));  // line 4
  Patch(api, "CronJob", "changes", "report",
        {{"spec", {{"schedule", "5 4 * * *"}}}});  // none
  Patch(api, "CronJob", "changes", "report",
        {{"spec", {{"suspend", true}}}});  // none
  Patch(
      api, "CronJob", "changes", "report",
      {{"spec",
        {{"jobTemplate",
          {{"spec",
            {{"template",
              {{"spec",
                {{"containers",
                  {{{"name", "c"}, {"image", "busybox:2"}}}}}}}}}}}}}}});  // 5
  Create(api, "changes", Deployment("sentinel", "nginx:1", 1));  // line 6
  auto lines = WaitLines(w.output(), 6);
  std::this_thread::sleep_for(1s);  // anything extra would show up now
  lines = ReadLines(w.output());
  w.Stop();
  ASSERT_EQ(w.error(), "");
  std::vector<std::string> got;
  for (const auto& l : lines) {
    got.push_back(l["event"].get<std::string>() + " " + Key(l) + " " +
                  l["containers"][0]["image"].get<std::string>());
  }
  std::multiset<std::string> got_set(got.begin(), got.end());
  std::multiset<std::string> want = {
      "ADDED Deployment/changes/api nginx:1.25",
      "MODIFIED Deployment/changes/api nginx:1.26",
      "ADDED Job/changes/etl busybox",
      "ADDED CronJob/changes/report busybox:1",
      "MODIFIED CronJob/changes/report busybox:2",
      "ADDED Deployment/changes/sentinel nginx:1"};
  EXPECT_EQ(got_set, want) << w.Log();
}

// Records reduced to what a fresh list reports: one (kind/ns/name, template
// image) per workload.
std::map<std::string, std::string> LatestByWorkload(
    const std::vector<json>& lines) {
  std::map<std::string, std::string> out;
  for (const auto& l : lines) {
    if (l["event"] == "DELETED") {
      out.erase(Key(l));
    } else {
      out[Key(l)] = l["containers"][0]["image"];
    }
  }
  return out;
}

std::map<std::string, std::string> FreshList(const Cluster& cluster,
                                             const std::string& ns) {
  LiveCollectOptions o;
  o.connection.kubeconfig = cluster["KUBECONFIG_FILE"];
  o.namespaces = {ns};
  o.output = cluster.dir() + "/fresh-" + ns + ".ndjson";
  CollectList(o, [](const std::string&) {});
  return LatestByWorkload(ReadLines(o.output));
}

TEST(KubeLive, apiserver_restart_mid_watch_misses_and_duplicates_nothing) {
  REQUIRE_CLUSTER(*g_cluster);
  kube::ApiClient api(g_cluster->Config());
  CreateNamespace(api, "restart");
  Create(api, "restart", Deployment("before", "nginx:1", 1));
  Create(api, "restart", CronJob("cron-before", "busybox:1"));
  LiveCollectOptions o;
  o.emit_initial = true;
  o.emit_deleted = true;
  o.namespaces = {"restart"};
  o.informer.backoff_initial = 200ms;
  o.informer.backoff_max = 2s;
  Watcher w(*g_cluster, o);
  ASSERT_EQ(WaitLines(w.output(), 2).size(), 2u);

  g_cluster->StopApiserver();
  std::this_thread::sleep_for(2s);  // the collector sees the drop and backs off
  g_cluster->StartApiserver();
  // Changes right after the restart, possibly before the collector is back.
  Create(api, "restart", Deployment("after", "nginx:2", 1));
  Patch(api, "Deployment", "restart", "before",
        {{"spec",
          {{"template",
            {{"spec",
              {{"containers",
                {{{"name", "main"}, {"image", "nginx:1.1"}}}}}}}}}}});
  Patch(api, "Deployment", "restart", "before",
        {{"spec", {{"replicas", 3}}}});  // no line
  Create(api, "restart", Job("job-after", 1));
  auto lines = WaitLines(w.output(), 5, 60s);
  std::this_thread::sleep_for(2s);
  lines = ReadLines(w.output());
  w.Stop();
  ASSERT_EQ(w.error(), "");
  EXPECT_EQ(LatestByWorkload(lines), FreshList(*g_cluster, "restart"))
      << w.Log();
  // Nothing duplicated: every (uid, template) pair once.
  std::set<std::string> seen;
  for (const auto& l : lines) {
    std::string id = l["uid"].get<std::string>() + " " +
                     l["containers"][0]["image"].get<std::string>();
    EXPECT_TRUE(seen.insert(id).second)
        << "duplicate line for " << Key(l) << "\n"
        << w.Log();
  }
  EXPECT_EQ(lines.size(), 5u) << w.Log();
  EXPECT_GT(w.stats().informers[0].errors + w.stats().informers[0].gone, 0)
      << w.Log();
}

TEST(KubeLive, compaction_past_the_watch_forces_410_and_relist_converges) {
  Cluster cluster("compact", /*watch_cache=*/false);
  REQUIRE_CLUSTER(cluster);
  kube::ApiClient api(cluster.Config());
  CreateNamespace(api, "gone");
  Create(api, "gone", Deployment("a", "nginx:1", 1));
  LiveCollectOptions o;
  o.kinds = {"Deployment"};
  o.emit_initial = true;
  o.namespaces = {"gone"};
  o.informer.watch_timeout_min_seconds =
      2;  // reconnect often, from the last RV seen
  o.informer.watch_timeout_max_seconds = 2;
  Watcher w(cluster, o);
  ASSERT_EQ(WaitLines(w.output(), 1).size(), 1u);
  // Move etcd past the collector's resourceVersion with writes it does not
  // watch, then compact.
  for (int i = 0; i < 5; ++i) {
    api.Send("POST", "/api/v1/namespaces/gone/configmaps",
             json({{"metadata", {{"name", "cm" + std::to_string(i)}}}}).dump());
  }
  std::string etcdctl =
      "ETCDCTL_API=3 etcdctl --endpoints=" + cluster["ETCD_ENDPOINT"];
  std::string rev_cmd =
      etcdctl +
      " endpoint status -w json | /usr/bin/python3 -c "
      "'import json,sys; "
      "print(json.load(sys.stdin)[0][\"Status\"][\"header\"][\"revision\"])'";
  std::FILE* p = popen(rev_cmd.c_str(), "r");
  char buf[64] = {0};
  ASSERT_NE(std::fgets(buf, sizeof buf, p), nullptr);
  pclose(p);
  ASSERT_EQ(Shell(etcdctl + " compact " + std::to_string(std::atoll(buf)) +
                  " >/dev/null 2>&1"),
            0);
  // The open watch outlives the compaction; its next reconnect (within 2 s)
  // is from the old resourceVersion and must get 410. Then a change the
  // collector must still report exactly once.
  std::this_thread::sleep_for(3500ms);
  Create(api, "gone", Deployment("b", "nginx:2", 1));
  auto until = std::chrono::steady_clock::now() + 30s;
  std::vector<json> lines;
  while (std::chrono::steady_clock::now() < until) {
    lines = ReadLines(w.output());
    if (lines.size() >= 2 && w.Log().find("410") != std::string::npos) break;
    std::this_thread::sleep_for(100ms);
  }
  std::this_thread::sleep_for(
      3s);  // one more watch cycle: no repeats after the relist
  lines = ReadLines(w.output());
  w.Stop();
  ASSERT_EQ(w.error(), "");
  EXPECT_GE(w.stats().informers[0].gone, 1) << w.Log();
  EXPECT_GE(w.stats().informers[0].lists, 2) << w.Log();
  EXPECT_EQ(lines.size(), 2u) << w.Log();
  EXPECT_EQ(LatestByWorkload(lines), FreshList(cluster, "gone")) << w.Log();
}

TEST(KubeLive,
     post_sends_every_record_and_a_dead_endpoint_never_blocks_the_watch) {
  REQUIRE_CLUSTER(*g_cluster);
  kube::ApiClient api(g_cluster->Config());
  CreateNamespace(api, "post");
  httplib::Server sink;
  std::mutex mu;
  std::vector<std::string> bodies;
  sink.Post("/records", [&](const httplib::Request& req, httplib::Response&) {
    std::lock_guard lock(mu);
    bodies.push_back(req.body);
  });
  int port = sink.bind_to_any_port("127.0.0.1");
  std::thread server([&] { sink.listen_after_bind(); });

  LiveCollectOptions good;
  good.namespaces = {"post"};
  good.post_url = "http://127.0.0.1:" + std::to_string(port) + "/records";
  LiveCollectOptions dead = good;
  dead.post_url =
      "http://127.0.0.1:1/unreachable";  // nothing listens on port 1
  Watcher a(*g_cluster, good), b(*g_cluster, dead);
  std::this_thread::sleep_for(1500ms);
  for (int i = 0; i < 3; ++i) {
    Create(api, "post", Deployment("p" + std::to_string(i), "nginx", 1));
  }
  auto lines_a = WaitLines(a.output(), 3);
  auto lines_b = WaitLines(b.output(), 3);  // not held up by the failing POSTs
  EXPECT_EQ(lines_b.size(), 3u) << b.Log();
  auto until = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < until) {
    {
      std::lock_guard lock(mu);
      if (bodies.size() >= 3) break;
    }
    std::this_thread::sleep_for(50ms);
  }
  a.Stop();
  sink.stop();
  server.join();
  std::multiset<std::string> posted, written;
  for (const auto& body : bodies) posted.insert(json::parse(body).dump());
  for (const auto& l : lines_a) written.insert(l.dump());
  EXPECT_EQ(posted, written);
  EXPECT_EQ(a.stats().posted, 3u);
}

// kubeconfig variants against the real server.
std::string WriteKubeconfig(const Cluster& c, const std::string& name,
                            const std::string& ca,
                            const std::string& user_yaml) {
  std::string path = c.dir() + "/" + name + ".kubeconfig";
  std::ofstream(path)
      << "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n"
      << "    server: " << c["SERVER"] << "\n    certificate-authority: " << ca
      << "\nusers:\n- name: u\n  user:\n"
      << user_yaml << "contexts:\n- name: " << name
      << "\n  context: {cluster: test, user: u}\ncurrent-context: " << name
      << "\n";
  return path;
}

size_t ListNamespaces(const std::string& kubeconfig) {
  kube::KubeconfigOptions options;
  options.kubeconfig = kubeconfig;
  kube::ApiClient api(kube::LoadRestConfig(options));
  return api.Get("/api/v1/namespaces")["items"].size();
}

// The namespace list as these credentials see it, once the apiserver has made
// all four system namespaces: it creates them shortly after /readyz, so a
// freshly started server may list fewer for a moment. Authentication is what
// the callers test; every call here is an authenticated list (an auth failure
// throws at once).
size_t ListSystemNamespaces(const std::string& kubeconfig) {
  size_t n = 0;
  for (int attempt = 0; attempt < 50; ++attempt) {
    n = ListNamespaces(kubeconfig);
    if (n >= 4) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return n;
}

TEST(KubeConfigLive, client_certificate_authenticates) {
  REQUIRE_CLUSTER(*g_cluster);
  const Cluster& c = *g_cluster;
  std::string path =
      WriteKubeconfig(c, "cert", c["CA"],
                      "    client-certificate: " + c["CLIENT_CERT"] +
                          "\n    client-key: " + c["CLIENT_KEY"] + "\n");
  EXPECT_GE(ListSystemNamespaces(path), 4u);
}

TEST(KubeConfigLive, exec_plugin_v1_and_v1beta1_provide_the_token) {
  REQUIRE_CLUSTER(*g_cluster);
  const Cluster& c = *g_cluster;
  for (std::string version : {"v1", "v1beta1"}) {
    std::string script = c.dir() + "/plugin-" + version + ".sh";
    std::ofstream(script)
        << "#!/bin/sh\n"
        << "echo $KUBERNETES_EXEC_INFO > '" << c.dir() << "/exec-info-"
        << version << ".json'\n"
        << "echo '{\"apiVersion\":\"client.authentication.k8s.io/" << version
        << "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\""
        << c["TOKEN"]
        << "\",\"expirationTimestamp\":\"2099-01-01T00:00:00Z\"}}'\n";
    fs::permissions(script, fs::perms::owner_all);
    std::string path = WriteKubeconfig(
        c, "exec-" + version, c["CA"],
        "    exec:\n      apiVersion: client.authentication.k8s.io/" + version +
            "\n      command: " + script + "\n      interactiveMode: Never\n");
    EXPECT_GE(ListSystemNamespaces(path), 4u) << version;
    json info =
        json::parse(std::ifstream(c.dir() + "/exec-info-" + version + ".json"));
    EXPECT_EQ(info["kind"], "ExecCredential");
    EXPECT_EQ(info["apiVersion"], "client.authentication.k8s.io/" + version);
  }
}

TEST(KubeConfigLive, wrong_ca_gives_a_clear_tls_error) {
  REQUIRE_CLUSTER(*g_cluster);
  const Cluster& c = *g_cluster;
  std::string path = WriteKubeconfig(c, "wrong-ca", c["OTHER_CA"],
                                     "    token: " + c["TOKEN"] + "\n");
  try {
    ListNamespaces(path);
    FAIL() << "a foreign CA must not verify the server";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("context \"wrong-ca\""), std::string::npos) << m;
    EXPECT_NE(m.find("certificate"), std::string::npos) << m;
    EXPECT_EQ(m.find(c["TOKEN"]), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
}

TEST(KubeConfigLive, wrong_token_gives_401_naming_the_context_not_the_token) {
  REQUIRE_CLUSTER(*g_cluster);
  const Cluster& c = *g_cluster;
  std::string path = WriteKubeconfig(c, "bad-token", c["CA"],
                                     "    token: not-the-right-token-0123\n");
  try {
    ListNamespaces(path);
    FAIL() << "a wrong token must be rejected";
  } catch (const kube::ApiError& e) {
    std::string m = e.what();
    EXPECT_EQ(e.status(), 401);
    EXPECT_NE(m.find("context \"bad-token\""), std::string::npos) << m;
    EXPECT_NE(m.find("user \"u\""), std::string::npos) << m;
    EXPECT_EQ(m.find("not-the-right-token"), std::string::npos) << m;
  }
  // The watch command fails the same way instead of retrying forever.
  LiveCollectOptions o;
  o.connection.kubeconfig = path;
  o.output = c.dir() + "/never.ndjson";
  http::Cancel stop;
  EXPECT_THROW(CollectWatch(o, stop, [](const std::string&) {}),
               kube::ApiError);
}

TEST(KubeConfigLive, apiserver_speaks_http2_to_the_client) {
  REQUIRE_CLUSTER(*g_cluster);
  kube::ApiClient api(g_cluster->Config());
  api.Get("/version");
  EXPECT_EQ(api.last_http_version(), 2);
  kube::ApiClient http1(g_cluster->Config(),
                        {.version = http::HttpVersion::kHttp1});
  http1.Get("/version");
  EXPECT_EQ(http1.last_http_version(), 1);
}

TEST(KubeLive, list_pods_mode_records_pod_owner_chains) {
  REQUIRE_CLUSTER(*g_cluster);
  // No controller manager here: make the chain Pod -> ReplicaSet -> Deployment
  // by hand.
  kube::ApiClient api(g_cluster->Config());
  CreateNamespace(api, "owners");
  api.Send("POST", "/api/v1/namespaces/owners/serviceaccounts",
           json({{"metadata", {{"name", "default"}}}}).dump());
  json d = api.Send("POST", Path("Deployment", "owners"),
                    Deployment("site", "nginx", 1).dump());
  json rs = json::parse(
      R"({"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"site-5d4f8",
      "ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"site","controller":true}]},
      "spec":{"selector":{"matchLabels":{"app":"site"}},"template":{"metadata":{"labels":{"app":"site"}},
      "spec":{"containers":[{"name":"main","image":"nginx"}]}}}})");
  rs["metadata"]["ownerReferences"][0]["uid"] = d["metadata"]["uid"];
  json rs_made = api.Send("POST", "/apis/apps/v1/namespaces/owners/replicasets",
                          rs.dump());
  json pod = json::parse(
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"site-5d4f8-abcde",
      "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"site-5d4f8","controller":true}]},
      "spec":{"automountServiceAccountToken":false,
      "containers":[{"name":"main","image":"nginx"}]}})");
  pod["metadata"]["ownerReferences"][0]["uid"] = rs_made["metadata"]["uid"];
  api.Send("POST", "/api/v1/namespaces/owners/pods", pod.dump());
  LiveCollectOptions o;
  o.connection.kubeconfig = (*g_cluster)["KUBECONFIG_FILE"];
  o.pods = true;
  o.namespaces = {"owners"};
  o.output = g_cluster->dir() + "/owners.ndjson";
  CollectList(o, [](const std::string&) {});
  auto lines = ReadLines(o.output);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["pod"], "site-5d4f8-abcde");
  EXPECT_EQ(lines[0]["workload_kind"], "Deployment");
  EXPECT_EQ(lines[0]["workload_name"], "site");
  ASSERT_EQ(lines[0]["owners"].size(), 2u);
  EXPECT_EQ(lines[0]["owners"][0]["kind"], "ReplicaSet");
  EXPECT_EQ(lines[0]["owners"][1]["kind"], "Deployment");
}

// The podpower binary end to end: list, and one-line errors for bad input.
TEST(KubeCli, collect_list_and_bad_kubeconfig_errors) {
  REQUIRE_CLUSTER(*g_cluster);
  std::string bin = std::string(PODPOWER_BINARY_DIR) + "/src/cli/podpower";
  if (!fs::exists(bin))
    GTEST_SKIP() << bin << " is not built (build target podpower first)";
  const Cluster& c = *g_cluster;
  kube::ApiClient api(c.Config());
  CreateNamespace(api, "cli");
  Create(api, "cli", Deployment("web", "nginx:1.25", 2));
  Create(api, "cli", Job("batch-once", 1));
  Create(api, "cli", CronJob("nightly", "busybox:1"));
  std::string out = c.dir() + "/cli-list.ndjson";
  EXPECT_EQ(
      Shell("'" + bin + "' collect list --kubeconfig '" + c["KUBECONFIG_FILE"] +
            "' --kinds Deployment --namespaces cli --output '" + out +
            "' 2>/dev/null"),
      0);
  auto lines = ReadLines(out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["workload_name"], "web");

  std::string err = c.dir() + "/cli-err.txt";
  EXPECT_EQ(Shell("'" + bin +
                  "' collect watch --kubeconfig /nonexistent/kubeconfig 2>'" +
                  err + "'"),
            1);
  std::ifstream in(err);
  std::string message((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(message.find(
                "podpower: kubeconfig /nonexistent/kubeconfig: no such file"),
            std::string::npos)
      << message;
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 1) << message;

  EXPECT_EQ(Shell("'" + bin + "' collect list --kubeconfig '" +
                  c["KUBECONFIG_FILE"] + "' --context missing 2>'" + err + "'"),
            1);
  std::ifstream in2(err);
  std::string m2((std::istreambuf_iterator<char>(in2)), {});
  EXPECT_NE(m2.find("context \"missing\" not found (have: test)"),
            std::string::npos)
      << m2;

  // watch: lines appended and flushed; SIGTERM ends it cleanly.
  std::string watch_out = c.dir() + "/cli-watch.ndjson";
  pid_t pid = fork();
  if (pid == 0) {
    execl(bin.c_str(), bin.c_str(), "collect", "watch", "--kubeconfig",
          c["KUBECONFIG_FILE"].c_str(), "--namespaces", "cli", "--emit-initial",
          "--output", watch_out.c_str(), nullptr);
    _exit(127);
  }
  auto watched = WaitLines(watch_out, 3);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(watched.size(), 3u);
  EXPECT_EQ(ReadLines(watch_out).size(), 3u);
}

}  // namespace
}  // namespace podpower::collect
