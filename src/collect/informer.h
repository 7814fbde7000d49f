// One kind (in one namespace or all) kept in sync with the API server: list,
// then watch, forever.
//
// Run() lists with pagination (one consistent snapshot), then watches from the
// list's resourceVersion with bookmarks. A stream that ends (server timeout,
// dropped connection, apiserver restart) is resumed from the last
// resourceVersion seen, after exponential backoff with jitter when it failed.
// 410 Gone (on the watch request or as an ERROR event) relists and reconciles
// against what is already known, so only real differences are reported. The
// informer reports a workload when it appears and when its pod template
// changes, never for scaling or status updates. One Informer runs on one
// thread; the callbacks are called from that thread.
#ifndef PODPOWER_COLLECT_INFORMER_H_
#define PODPOWER_COLLECT_INFORMER_H_

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "http/client.h"
#include "kube/api_client.h"
#include "kube/resources.h"

namespace podpower::collect {

enum class ChangeType { kAdded, kModified, kDeleted };
const char* ChangeName(ChangeType type);  // "ADDED", "MODIFIED", "DELETED"

struct Change {
  ChangeType type;
  nlohmann::json
      object;    // with kind and apiVersion filled in (list items lack them)
  bool initial;  // from the first list
};

struct InformerOptions {
  std::string namespace_;  // empty: all namespaces
  int page_size = 500;
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{30000};
  // The server ends each watch after a random 5-10 min (client-go's range); a
  // stream silent for longer than that plus a margin is a dead connection.
  int watch_timeout_min_seconds = 300;
  int watch_timeout_max_seconds = 600;
};

// Counters for logs and tests. Read after Run() returns, or racily for
// progress.
struct InformerStats {
  int lists = 0;      // full lists (1 + relists after 410)
  int watches = 0;    // watch requests started
  int gone = 0;       // 410 Gone seen
  int errors = 0;     // failed requests (then backoff)
  int malformed = 0;  // stream lines that were not watch events
  int bookmarks = 0;
};

class Informer {
 public:
  using ChangeHandler = std::function<void(const Change&)>;
  using LogHandler = std::function<void(const std::string&)>;

  Informer(kube::ApiClient& api, kube::ResourceType type,
           InformerOptions options, ChangeHandler on_change, LogHandler log);

  // Lists once and reports every object as kAdded (initial = true); returns the
  // list's resourceVersion. Throws podpower::Error / kube::ApiError on failure.
  std::string ListOnce();

  // Runs list + watch until `stop` fires. Errors are logged and retried, never
  // thrown, except an ApiError 401/403 on the first list (wrong credentials do
  // not heal by waiting).
  void Run(const http::Cancel& stop);

  // The last resourceVersion seen (list, event or bookmark).
  const std::string& resource_version() const { return resource_version_; }
  const InformerStats& stats() const { return stats_; }

 private:
  // Per workload, for weeks: the object is kept as compact JSON text, about a
  // tenth of the memory of a parsed tree, and parsed only for a DELETED report
  // after a relist.
  struct Known {
    std::string digest;
    std::string object;
  };

  std::string List(bool initial);
  void Watch(const http::Cancel& stop);
  void HandleLine(std::string_view line);
  void Apply(const std::string& type, nlohmann::json object, bool initial);
  void Sleep(std::chrono::milliseconds d, const http::Cancel& stop);
  std::string Describe() const;

  kube::ApiClient& api_;
  kube::ResourceType type_;
  InformerOptions options_;
  ChangeHandler on_change_;
  LogHandler log_;
  std::map<std::string, Known> known_;  // by uid
  std::string resource_version_;
  InformerStats stats_;
  size_t line_number_ = 0;
  bool gone_ = false;
};

}  // namespace podpower::collect

#endif  // PODPOWER_COLLECT_INFORMER_H_
