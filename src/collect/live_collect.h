// `podpower collect watch` and `podpower collect list`: workloads from a live
// cluster as InferenceRequest v1 NDJSON (or pod → owner chains with `pods`).
//
// Watch runs one Informer per (kind, namespace) on its own thread, all at once,
// and writes one line per workload that appears (with emit_initial also for
// those that exist at start), per pod template change, and with emit_deleted
// per deletion. Lines go to `output` (appended and flushed line by line) or
// stdout, and with post_url also to an HTTP endpoint through a bounded queue
// that never blocks the watch (full queue: the oldest record is dropped and
// counted). List takes one paginated snapshot per kind and writes it
// atomically. Formats: docs/formats/collect.md.
#ifndef PODPOWER_COLLECT_LIVE_COLLECT_H_
#define PODPOWER_COLLECT_LIVE_COLLECT_H_

#include <functional>
#include <string>
#include <vector>

#include "collect/informer.h"
#include "http/client.h"
#include "kube/kubeconfig.h"

namespace podpower::collect {

struct LiveCollectOptions {
  kube::KubeconfigOptions connection;
  std::vector<std::string> kinds = {"Deployment", "Job", "CronJob"};
  std::vector<std::string> namespaces;  // empty: all namespaces
  bool emit_initial = false;            // watch: report what exists at start
  bool emit_deleted = false;            // watch: DELETED records too
  bool original_fields_only = false;    // only the original collector's fields
  bool pods = false;     // pod → owner chain records instead of workloads
  std::string output;    // "" or "-": stdout
  std::string post_url;  // watch: also POST each record here
  size_t post_queue = 1000;
  int post_attempts = 5;
  http::HttpVersion version = http::HttpVersion::kAuto;
  InformerOptions informer;
};

struct CollectStats {
  size_t records = 0;  // lines written
  size_t skipped = 0;  // objects that could not be turned into records (logged)
  size_t posted = 0;   // records the --post endpoint accepted
  size_t post_dropped = 0;  // records dropped: queue full or retries exhausted
  std::vector<InformerStats> informers;
};

using Logger = std::function<void(const std::string&)>;

// Runs until `stop` fires, then flushes and returns. Throws podpower::Error
// before starting when the configuration is unusable (bad kubeconfig, unknown
// kind, unreachable discovery) and kube::ApiError when the credentials are
// rejected at the first list.
CollectStats CollectWatch(const LiveCollectOptions& options,
                          const http::Cancel& stop, const Logger& log);

// One snapshot of every chosen kind, written atomically to options.output.
// Returns the counts.
CollectStats CollectList(const LiveCollectOptions& options, const Logger& log);

// The lines CollectList writes, in order, without writing them (options.output
// is ignored); for stages that want the snapshot in memory, as labels does for
// pod owners. `stats` (may be null) gets the counts. Throws like CollectList.
std::vector<std::string> ListSnapshot(const LiveCollectOptions& options,
                                      const Logger& log, CollectStats* stats);

// The log function the CLI uses: "podpower collect: <message>" on stderr.
void LogToStderr(const std::string& message);

}  // namespace podpower::collect

#endif  // PODPOWER_COLLECT_LIVE_COLLECT_H_
