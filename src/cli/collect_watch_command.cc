// `podpower collect watch` and `podpower collect list`: workloads from a live
// cluster (collect/live_collect.h). Registered after `collect from-file` (order
// 11) so it can join the existing "collect" subcommand; it adds that subcommand
// itself when it is missing.
#include <cctype>
#include <csignal>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli/command.h"
#include "collect/live_collect.h"
#include "io/error.h"

namespace podpower::cli {
namespace {

struct LiveFlags {
  std::string kubeconfig, context, ca_file, output, post, http_version = "auto";
  std::string verify_ssl;  // the value given to --verify-ssl, if any
  CLI::Option* verify_ssl_option = nullptr;
  std::vector<std::string> kinds = {"Deployment", "Job", "CronJob"};
  std::vector<std::string> namespaces;
  bool emit_initial = false, emit_deleted = false, original_fields = false,
       pods = false, suppress_tls_warnings = false;
  int page_size = 500;
};

std::atomic<bool> g_stop{false};
extern "C" void OnSignal(int) { g_stop.store(true); }

void AddConnectionFlags(CLI::App* cmd, LiveFlags& f) {
  cmd->add_option(
      "--kubeconfig", f.kubeconfig,
      "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)");
  cmd->add_option("--context", f.context,
                  "kubeconfig context (default: current-context)");
  cmd->add_option("--ca-file", f.ca_file,
                  "CA bundle for the API server (overrides kubeconfig)");
  // The original took a value (`--verify-ssl false`); a bare --verify-ssl
  // means true.
  f.verify_ssl_option =
      cmd->add_option("--verify-ssl", f.verify_ssl,
                      "verify the API server's certificate: --verify-ssl "
                      "[true], --verify-ssl false (or =false) skips it "
                      "(default: the kubeconfig's setting)")
          ->expected(0, 1)
          ->type_name("[true|false]");
  cmd->add_option("--kinds", f.kinds,
                  "Deployment Job CronJob StatefulSet DaemonSet ReplicaSet Pod")
      ->expected(1, -1);
  cmd->add_option("--namespaces", f.namespaces, "namespaces (default: all)")
      ->expected(1, -1);
  cmd->add_flag(
      "--original-fields", f.original_fields,
      "only the original collector's fields (no uid, observed_at, ...)");
  cmd->add_flag("--pods", f.pods,
                "pod -> owner chain records instead of workloads");
  cmd->add_option("--page-size", f.page_size, "objects per list page")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--http", f.http_version, "auto, 1.1 or 2")
      ->check(CLI::IsMember({"auto", "1.1", "2"}));
}

collect::LiveCollectOptions ToOptions(const LiveFlags& f) {
  collect::LiveCollectOptions o;
  o.connection.kubeconfig = f.kubeconfig;
  o.connection.context = f.context;
  o.connection.ca_file = f.ca_file;
  if (f.verify_ssl_option != nullptr && f.verify_ssl_option->count() > 0) {
    std::string v = f.verify_ssl.empty() ? "true" : f.verify_ssl;
    for (char& c : v) c = static_cast<char>(std::tolower(c));
    if (v == "true" || v == "1" || v == "yes") {
      o.connection.verify_ssl = true;
    } else if (v == "false" || v == "0" || v == "no") {
      o.connection.verify_ssl = false;
    } else {
      throw Error("--verify-ssl: expected true or false, got \"" +
                  f.verify_ssl + "\"");
    }
  }
  o.kinds = f.kinds;
  o.namespaces = f.namespaces;
  o.emit_initial = f.emit_initial;
  o.emit_deleted = f.emit_deleted;
  o.original_fields_only = f.original_fields;
  o.pods = f.pods;
  o.output = f.output;
  o.post_url = f.post;
  o.informer.page_size = f.page_size;
  o.version = f.http_version == "1.1" ? http::HttpVersion::kHttp1
              : f.http_version == "2" ? http::HttpVersion::kHttp2
                                      : http::HttpVersion::kAuto;
  return o;
}

CommandRegistration collect_watch_registration(11, [](CLI::App& app) {
  CLI::App* collect = nullptr;
  try {
    collect = app.get_subcommand("collect");
  } catch (const CLI::OptionNotFound&) {
    collect = app.add_subcommand(
        "collect", "Turn workload specs into InferenceRequest records");
    collect->require_subcommand(1);
  }

  auto watch_flags = std::make_shared<LiveFlags>();
  auto* watch =
      collect->add_subcommand("watch",
                              "Watch a live cluster (all kinds at once) and "
                              "append InferenceRequest v1 NDJSON");
  AddConnectionFlags(watch, *watch_flags);
  watch->add_flag("--emit-initial", watch_flags->emit_initial,
                  "also emit the workloads that exist at start");
  watch->add_flag("--emit-deleted", watch_flags->emit_deleted,
                  "also emit DELETED records");
  watch->add_option(
      "--output", watch_flags->output,
      "append records to this file, flushed per line (default: stdout)");
  watch->add_option("--post", watch_flags->post,
                    "also POST each record (JSON) to this URL");
  watch->add_flag("--suppress-tls-warnings", watch_flags->suppress_tls_warnings,
                  "accepted for compatibility with the original "
                  "k8s_collect.py; podpower prints no TLS warnings to "
                  "suppress, and verification follows --verify-ssl");
  watch->callback([watch_flags] {
    collect::LiveCollectOptions options = ToOptions(*watch_flags);
    struct sigaction sa {};
    sa.sa_handler = OnSignal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    http::Cancel stop;
    std::thread signals([&stop] {
      while (!g_stop.load() && !stop.cancelled()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      stop.Trigger();
    });
    collect::CollectStats stats;
    try {
      stats = collect::CollectWatch(options, stop, collect::LogToStderr);
    } catch (...) {
      stop.Trigger();
      signals.join();
      throw;
    }
    stop.Trigger();
    signals.join();
    collect::LogToStderr(
        "stopped: " + std::to_string(stats.records) + " records written" +
        (options.post_url.empty()
             ? ""
             : ", " + std::to_string(stats.posted) + " posted, " +
                   std::to_string(stats.post_dropped) + " dropped"));
  });

  auto list_flags = std::make_shared<LiveFlags>();
  auto* list = collect->add_subcommand("list",
                                       "One consistent snapshot of the chosen "
                                       "kinds as InferenceRequest v1 NDJSON");
  AddConnectionFlags(list, *list_flags);
  list->add_option("--output", list_flags->output,
                   "output file, written atomically (default: stdout)");
  list->callback([list_flags] {
    collect::LiveCollectOptions options = ToOptions(*list_flags);
    collect::CollectStats stats =
        collect::CollectList(options, collect::LogToStderr);
    if (!options.output.empty() && options.output != "-") {
      collect::LogToStderr("wrote " + std::to_string(stats.records) +
                           " records to " + options.output);
    }
  });
});

}  // namespace
}  // namespace podpower::cli
