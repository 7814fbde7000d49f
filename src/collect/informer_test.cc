// Informer against a FAKE API server (cpp-httplib on loopback). This is the one
// place a fake is used, because a real kube-apiserver never sends malformed
// watch lines: the fake serves a list, then a watch stream with garbage lines,
// events without the fields the informer needs, an unknown event type, and
// finally a 410 ERROR event, then a second list. Everything else about
// list/watch is tested against the real apiserver in
// live_collect_integration_test.cc.
#include "collect/informer.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

namespace podpower::collect {
namespace {

using nlohmann::json;

json Deployment(const std::string& name, const std::string& uid,
                const std::string& rv, const std::string& image) {
  return {
      {"metadata",
       {{"name", name},
        {"namespace", "ns"},
        {"uid", uid},
        {"resourceVersion", rv}}},
      {"spec",
       {{"template",
         {{"spec", {{"containers", {{{"name", "c"}, {"image", image}}}}}}}}}}};
}

TEST(Informer, malformed_stream_lines_are_skipped_and_state_stays_intact) {
  httplib::Server server;
  std::atomic<int> lists{0}, watches{0};
  server.Get("/apis/apps/v1/deployments", [&](const httplib::Request& req,
                                              httplib::Response& res) {
    if (req.has_param("watch")) {
      int n = ++watches;
      std::string body;
      if (n == 1) {
        EXPECT_EQ(req.get_param_value("resourceVersion"), "10");
        EXPECT_EQ(req.get_param_value("allowWatchBookmarks"), "true");
        body += "this is not json\n";
        body += R"({"type":"ADDED"})"
                "\n";
        body += json({{"type", "ADDED"},
                      {"object", {{"metadata", {{"name", "no-uid"}}}}}})
                    .dump() +
                "\n";
        body +=
            json({{"type", "SURPRISE"}, {"object", json::object()}}).dump() +
            "\n";
        body += json({{"type", "ADDED"},
                      {"object", Deployment("b", "uid-b", "11", "b:1")}})
                    .dump() +
                "\n";
        // Same template as listed: a status-only update, no change reported.
        body += json({{"type", "MODIFIED"},
                      {"object", Deployment("a", "uid-a", "12", "a:1")}})
                    .dump() +
                "\n";
        body += json({{"type", "BOOKMARK"},
                      {"object", {{"metadata", {{"resourceVersion", "13"}}}}}})
                    .dump() +
                "\n";
        body +=
            json({{"type", "ERROR"},
                  {"object",
                   {{"kind", "Status"}, {"code", 410}, {"reason", "Expired"}}}})
                .dump() +
            "\n";
      } else {
        // After the relist: from the new list's resourceVersion, then a quiet
        // stream.
        EXPECT_EQ(req.get_param_value("resourceVersion"), "20");
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      res.set_content(body, "application/json");
      return;
    }
    int n = ++lists;
    json list = {{"kind", "DeploymentList"},
                 {"metadata", {{"resourceVersion", n == 1 ? "10" : "20"}}}};
    list["items"] = json::array({Deployment("a", "uid-a", "5", "a:1")});
    if (n > 1) {
      list["items"].push_back(Deployment("b", "uid-b", "11", "b:1"));
      list["items"].push_back(
          Deployment("c", "uid-c", "19", "c:1"));  // missed while gone
    }
    res.set_content(list.dump(), "application/json");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  while (!server.is_running())
    std::this_thread::sleep_for(std::chrono::milliseconds(2));

  kube::RestConfig config;
  config.context = "fake";
  config.server = "http://127.0.0.1:" + std::to_string(port);
  kube::ApiClient api(config);
  std::vector<std::string> changes, logs;
  http::Cancel stop;
  InformerOptions options;
  options.backoff_initial = std::chrono::milliseconds(20);
  Informer informer(
      api, {"Deployment", "apps", "v1", "deployments"}, options,
      [&](const Change& c) {
        changes.push_back(std::string(ChangeName(c.type)) + " " +
                          c.object["metadata"]["name"].get<std::string>() +
                          (c.initial ? " initial" : ""));
        EXPECT_EQ(c.object["kind"], "Deployment");
        EXPECT_EQ(c.object["apiVersion"], "apps/v1");
        if (changes.size() == 3) stop.Trigger();
      },
      [&](const std::string& m) { logs.push_back(m); });
  std::thread runner([&] { informer.Run(stop); });
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!stop.cancelled() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop.Trigger();
  runner.join();
  server.stop();
  t.join();

  EXPECT_EQ(changes, (std::vector<std::string>{"ADDED a initial", "ADDED b",
                                               "ADDED c"}));
  EXPECT_EQ(informer.stats().malformed, 4);
  EXPECT_EQ(informer.stats().gone, 1);
  EXPECT_EQ(informer.stats().lists, 2);
  EXPECT_EQ(informer.stats().bookmarks, 1);
  ASSERT_GE(logs.size(), 5u);
  EXPECT_EQ(logs[0].rfind(
                "Deployment: watch stream line 1: malformed event skipped:", 0),
            0u)
      << logs[0];
  for (const auto& m : logs) EXPECT_EQ(m.find('\n'), std::string::npos) << m;
}

}  // namespace
}  // namespace podpower::collect
