#include "collect/live_collect.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "collect/live_record.h"
#include "io/atomic_file.h"
#include "io/error.h"
#include "kube/api_client.h"
#include "kube/resources.h"

namespace podpower::collect {
namespace {

std::string ObjectMetaString(const nlohmann::json& object, const char* key) {
  if (!object.is_object() || !object.contains("metadata")) return "";
  const auto& m = object["metadata"];
  if (!m.is_object() || !m.contains(key) || !m[key].is_string()) return "";
  return m[key].get<std::string>();
}

// Where the lines go. Appends each line with one write(2) (O_APPEND) so a
// killed collector loses nothing written and a line is never interleaved. A
// SIGKILL can still cut a long write short (the kernel stops between pages), so
// opening a file first drops a trailing partial line a killed run left: every
// line of the file stays complete JSON (docs/formats/collect.md). One watcher
// per output file.
class LineWriter {
 public:
  explicit LineWriter(const std::string& path) : path_(path) {
    if (path.empty() || path == "-") return;
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (fd_ < 0) {
      throw Error(
          path + ": cannot open output for appending: " + std::strerror(errno));
    }
    DropPartialLastLine();
  }
  ~LineWriter() {
    if (fd_ >= 0) ::close(fd_);
  }
  void Write(const std::string& line) {
    std::lock_guard lock(mu_);
    if (fd_ < 0) {
      std::fwrite(line.data(), 1, line.size(), stdout);
      std::fputc('\n', stdout);
      if (std::fflush(stdout) != 0)
        throw Error(path_ + ": write failed: " + std::strerror(errno));
      return;
    }
    const std::string text = line + "\n";
    size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        throw Error(path_ + ": write failed: " + std::strerror(errno));
      done += static_cast<size_t>(n);
    }
  }

 private:
  // Truncates the file after its last '\n' (to empty when it has none).
  void DropPartialLastLine() {
    struct stat st;
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
      return;
    off_t end = st.st_size;
    char buf[4096];
    while (end > 0) {
      const off_t start = end > static_cast<off_t>(sizeof(buf))
                              ? end - static_cast<off_t>(sizeof(buf))
                              : 0;
      const ssize_t n =
          ::pread(fd_, buf, static_cast<size_t>(end - start), start);
      if (n != end - start) return;  // unreadable: leave it as it is
      if (end == st.st_size && buf[n - 1] == '\n') return;  // complete
      for (ssize_t i = n - 1; i >= 0; --i) {
        if (buf[i] == '\n') {
          Truncate(start + i + 1);
          return;
        }
      }
      end = start;
    }
    Truncate(0);
  }
  void Truncate(off_t size) {
    if (::ftruncate(fd_, size) != 0)
      throw Error(path_ + ": cannot drop the partial last line: " +
                  std::strerror(errno));
  }

  std::string path_;
  int fd_ = -1;  // -1: stdout
  std::mutex mu_;
};

// Sends records to --post on its own thread; Push never blocks.
class PostQueue {
 public:
  PostQueue(const std::string& url, size_t capacity, int attempts,
            const Logger& log)
      : url_(url),
        capacity_(capacity),
        attempts_(attempts),
        log_(log),
        client_(http::ClientOptions{}) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~PostQueue() { Close(std::chrono::seconds(5)); }

  void Push(std::string record) {
    std::lock_guard lock(mu_);
    if (queue_.size() >= capacity_) {
      queue_.pop_front();
      ++dropped_;
    }
    queue_.push_back(std::move(record));
    cv_.notify_one();
  }

  // Stops after the queue drains or the deadline passes.
  void Close(std::chrono::seconds deadline) {
    {
      std::lock_guard lock(mu_);
      if (closing_) return;
      closing_ = true;
      close_by_ = std::chrono::steady_clock::now() + deadline;
      cv_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
  }
  size_t posted() const { return posted_; }
  size_t dropped() const { return dropped_; }

 private:
  void Loop() {
    for (;;) {
      std::string record;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
        if (queue_.empty() ||
            (closing_ && std::chrono::steady_clock::now() > close_by_)) {
          dropped_ += queue_.size();
          return;
        }
        record = std::move(queue_.front());
        queue_.pop_front();
      }
      Send(record);
    }
  }
  void Send(const std::string& record) {
    auto backoff = std::chrono::milliseconds(250);
    std::string last;
    for (int attempt = 0; attempt < attempts_; ++attempt) {
      try {
        http::Request req;
        req.method = "POST";
        req.url = url_;
        req.body = record;
        req.timeout = std::chrono::seconds(10);
        req.headers = {{"Content-Type", "application/json"}};
        http::Response r = client_.Do(req);
        if (r.status >= 200 && r.status < 300) {
          ++posted_;
          return;
        }
        last = "POST " + http::RedactUrl(url_) + ": HTTP " +
               std::to_string(r.status);
        if (r.status >= 400 && r.status < 500 && r.status != 429)
          break;  // will not heal
      } catch (const Error& e) {
        last = e.what();
      }
      {
        std::unique_lock lock(mu_);
        if (closing_ && std::chrono::steady_clock::now() > close_by_) break;
      }
      std::this_thread::sleep_for(backoff);
      backoff *= 2;
    }
    ++dropped_;
    log_("--post: record dropped: " + last);
  }

  std::string url_;
  size_t capacity_;
  int attempts_;
  Logger log_;
  http::Client client_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool closing_ = false;
  std::chrono::steady_clock::time_point close_by_;
  std::atomic<size_t> posted_{0}, dropped_{0};
  std::thread thread_;
};

// Pod → controller chain (Pod → ReplicaSet → Deployment, Pod → Job → CronJob),
// with owners looked up once and cached. Thread-compatible: one per informer
// thread.
class OwnerResolver {
 public:
  explicit OwnerResolver(kube::ApiClient& api) : api_(api) {}

  nlohmann::ordered_json Chain(const nlohmann::json& pod) {
    nlohmann::ordered_json chain = nlohmann::ordered_json::array();
    std::string ns = ObjectMetaString(pod, "namespace");
    nlohmann::json ref = Controller(pod);
    for (int depth = 0; depth < 4 && ref.is_object(); ++depth) {
      chain.push_back({{"kind", ref.value("kind", "")},
                       {"name", ref.value("name", "")},
                       {"uid", ref.value("uid", "")}});
      ref = Parent(ns, ref);
    }
    return chain;
  }

 private:
  static nlohmann::json Controller(const nlohmann::json& object) {
    if (!object.contains("metadata")) return nullptr;
    const auto& refs =
        object["metadata"].value("ownerReferences", nlohmann::json::array());
    for (const auto& r : refs) {
      if (r.value("controller", false)) return r;
    }
    return refs.empty() ? nlohmann::json(nullptr) : refs[0];
  }
  nlohmann::json Parent(const std::string& ns, const nlohmann::json& ref) {
    std::string kind = ref.value("kind", ""), name = ref.value("name", "");
    std::string path;
    if (kind == "ReplicaSet") {
      path = "/apis/apps/v1/namespaces/" + ns + "/replicasets/" + name;
    } else if (kind == "Job") {
      path = "/apis/batch/v1/namespaces/" + ns + "/jobs/" + name;
    } else {
      return nullptr;  // Deployments, CronJobs, StatefulSets, DaemonSets are
                       // chain tops
    }
    auto cached = cache_.find(path);
    if (cached != cache_.end()) return cached->second;
    nlohmann::json parent = nullptr;
    try {
      parent = Controller(api_.Get(path));
    } catch (const kube::ApiError& e) {
      if (e.status() != 404)
        throw;  // an owner deleted meanwhile ends the chain
    }
    cache_[path] = parent;
    return parent;
  }

  kube::ApiClient& api_;
  std::map<std::string, nlohmann::json> cache_;
};

nlohmann::ordered_json PodOwnerLine(const nlohmann::json& pod,
                                    const char* event, OwnerResolver& owners) {
  nlohmann::ordered_json chain = owners.Chain(pod);
  nlohmann::ordered_json out;
  out["schema"] = "pod_owner_v1";
  out["event"] = event;
  out["namespace"] = ObjectMetaString(pod, "namespace");
  out["pod"] = ObjectMetaString(pod, "name");
  out["pod_uid"] = ObjectMetaString(pod, "uid");
  out["owners"] = chain;
  if (chain.empty()) {
    out["workload_kind"] = "Pod";
    out["workload_name"] = ObjectMetaString(pod, "name");
  } else {
    out["workload_kind"] = chain.back()["kind"];
    out["workload_name"] = chain.back()["name"];
  }
  out["observed_at"] = FormatTimestamp(std::chrono::system_clock::now());
  return out;
}

// Turns changes into lines. Thread-safe (records are built on informer
// threads).
class Emitter {
 public:
  Emitter(const LiveCollectOptions& options, LineWriter* writer,
          PostQueue* post, const Logger& log)
      : options_(options), writer_(writer), post_(post), log_(log) {}

  void Emit(const Change& change, OwnerResolver* owners) {
    if (change.type == ChangeType::kDeleted && !options_.emit_deleted) return;
    if (change.initial && !options_.emit_initial) return;
    std::string kind = change.object.value("kind", "");
    std::string where = kind + " " +
                        ObjectMetaString(change.object, "namespace") + "/" +
                        ObjectMetaString(change.object, "name");
    std::string line;
    try {
      if (owners != nullptr) {
        line = PodOwnerLine(change.object, ChangeName(change.type), *owners)
                   .dump();
      } else {
        LiveRecordOptions o;
        o.event = ChangeName(change.type);
        o.original_fields_only = options_.original_fields_only;
        line = LiveRecord(change.object, where, o).raw.dump();
      }
    } catch (const Error& e) {
      ++skipped_;
      log_(std::string("skipped: ") + e.what());
      return;
    }
    Write(line);
  }

  void Write(const std::string& line) {
    if (writer_ != nullptr) writer_->Write(line);
    if (post_ != nullptr) post_->Push(line);
    ++records_;
  }
  size_t records() const { return records_; }
  size_t skipped() const { return skipped_; }

 private:
  const LiveCollectOptions& options_;
  LineWriter* writer_;
  PostQueue* post_;
  Logger log_;
  std::atomic<size_t> records_{0}, skipped_{0};
};

struct Target {
  kube::ResourceType type;
  std::string namespace_;
};

std::vector<Target> Targets(kube::ApiClient& api,
                            const LiveCollectOptions& options) {
  std::vector<std::string> kinds =
      options.pods ? std::vector<std::string>{"Pod"} : options.kinds;
  if (kinds.empty()) throw Error("--kinds: expected at least one kind");
  // Fail at start, with the server's own reason, when the connection or the
  // credentials are wrong (TLS, 401); later failures are retried instead.
  api.Get("/api");
  std::vector<std::string> namespaces = options.namespaces;
  if (namespaces.empty()) namespaces.push_back("");
  std::vector<Target> targets;
  for (const auto& kind : kinds) {
    kube::ResourceType type = kube::ResolveKind(api, kind);
    for (const auto& ns : namespaces) targets.push_back({type, ns});
  }
  return targets;
}

}  // namespace

void LogToStderr(const std::string& message) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  std::cerr << "podpower collect: " << message << std::endl;
}

CollectStats CollectWatch(const LiveCollectOptions& options,
                          const http::Cancel& stop, const Logger& log) {
  kube::RestConfig config = kube::LoadRestConfig(options.connection);
  kube::ApiClient api(config, {.version = options.version});
  std::vector<Target> targets = Targets(api, options);

  LineWriter writer(options.output);
  std::unique_ptr<PostQueue> post;
  if (!options.post_url.empty()) {
    post = std::make_unique<PostQueue>(options.post_url, options.post_queue,
                                       options.post_attempts, log);
  }
  Emitter emitter(options, &writer, post.get(), log);

  std::vector<std::unique_ptr<Informer>> informers;
  std::vector<std::unique_ptr<OwnerResolver>> resolvers;
  for (const auto& t : targets) {
    InformerOptions io = options.informer;
    io.namespace_ = t.namespace_;
    OwnerResolver* resolver = nullptr;
    if (options.pods) {
      resolvers.push_back(std::make_unique<OwnerResolver>(api));
      resolver = resolvers.back().get();
    }
    informers.push_back(std::make_unique<Informer>(
        api, t.type, io,
        [&emitter, resolver](const Change& c) { emitter.Emit(c, resolver); },
        log));
  }

  // Each informer on its own thread; a fatal error (rejected credentials) stops
  // all of them.
  http::Cancel fatal;
  std::mutex error_mu;
  std::exception_ptr first_error;
  std::vector<std::thread> threads;
  http::Cancel combined;
  for (auto& informer : informers) {
    threads.emplace_back([&, inf = informer.get()] {
      try {
        inf->Run(combined);
      } catch (...) {
        std::lock_guard lock(error_mu);
        if (!first_error) first_error = std::current_exception();
        fatal.Trigger();
      }
    });
  }
  while (!stop.cancelled() && !fatal.cancelled()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  combined.Trigger();
  for (auto& t : threads) t.join();
  if (post) post->Close(std::chrono::seconds(5));

  CollectStats stats;
  stats.records = emitter.records();
  stats.skipped = emitter.skipped();
  if (post) {
    stats.posted = post->posted();
    stats.post_dropped = post->dropped();
  }
  for (const auto& informer : informers)
    stats.informers.push_back(informer->stats());
  if (first_error) std::rethrow_exception(first_error);
  return stats;
}

std::vector<std::string> ListSnapshot(const LiveCollectOptions& options,
                                      const Logger& log, CollectStats* out) {
  kube::RestConfig config = kube::LoadRestConfig(options.connection);
  kube::ApiClient api(config, {.version = options.version});
  std::vector<Target> targets = Targets(api, options);

  std::vector<std::string> lines;
  CollectStats local;
  CollectStats& stats = out != nullptr ? *out : local;
  for (const auto& t : targets) {
    InformerOptions io = options.informer;
    io.namespace_ = t.namespace_;
    OwnerResolver resolver(api);
    OwnerResolver* r = options.pods ? &resolver : nullptr;
    Informer informer(
        api, t.type, io,
        [&](const Change& c) {
          if (c.type == ChangeType::kDeleted) return;
          std::string kind = c.object.value("kind", "");
          std::string where = kind + " " +
                              ObjectMetaString(c.object, "namespace") + "/" +
                              ObjectMetaString(c.object, "name");
          try {
            if (r != nullptr) {
              lines.push_back(PodOwnerLine(c.object, "ADDED", *r).dump());
            } else {
              LiveRecordOptions ro;
              ro.original_fields_only = options.original_fields_only;
              lines.push_back(LiveRecord(c.object, where, ro).raw.dump());
            }
          } catch (const Error& e) {
            ++stats.skipped;
            log(std::string("skipped: ") + e.what());
          }
        },
        log);
    informer.ListOnce();
    stats.informers.push_back(informer.stats());
  }
  stats.records = lines.size();
  return lines;
}

CollectStats CollectList(const LiveCollectOptions& options, const Logger& log) {
  // Lines are gathered first so that a failure leaves no partial output file.
  CollectStats stats;
  const std::vector<std::string> lines = ListSnapshot(options, log, &stats);
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  io::WriteTextFile(options.output.empty() ? "-" : options.output, text);
  return stats;
}

}  // namespace podpower::collect
