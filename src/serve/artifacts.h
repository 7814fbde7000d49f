// The encoder + model pair a server predicts with, and hot reload of that pair.
//
// An Artifacts value is immutable and shared: request handlers take a
// shared_ptr snapshot and keep using it even if a reload swaps in a new pair
// mid-request, so a reload never disturbs a request in flight. The fingerprint
// identifies the exact pair (sha256 over both files' bytes) and is what the
// webhook writes onto workloads and /metrics reports.
#ifndef PODPOWER_SERVE_ARTIFACTS_H_
#define PODPOWER_SERVE_ARTIFACTS_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "predict/predictor.h"

namespace podpower::serve {

struct ArtifactPaths {
  std::string encoder;
  std::string model;
  std::string sbert_model;  // "" unless the encoder was fitted with one
};

struct Artifacts {
  std::shared_ptr<const predict::Predictor> predictor;
  // First 16 hex chars of sha256(encoder file bytes || model file bytes).
  std::string fingerprint;
};

// Reads and checks both files (Predictor::Load). Throws podpower::Error naming
// the file at fault; nothing is half-loaded.
std::shared_ptr<const Artifacts> LoadArtifacts(const ArtifactPaths& paths);

// Outcome of one reload attempt, for logs and /metrics.
struct ReloadResult {
  bool attempted = false;  // false: the files had not changed
  bool ok = false;
  std::string message;  // the error when !ok, the new fingerprint when ok
};

// Holds the current Artifacts and swaps them atomically. Thread-safe: Current()
// may be called from any number of request threads while one thread reloads.
class ArtifactStore {
 public:
  // Loads the initial pair; throws podpower::Error when it cannot (a server
  // must not start without a model).
  explicit ArtifactStore(ArtifactPaths paths);

  std::shared_ptr<const Artifacts> Current() const;

  // Loads the files again. On success the new pair replaces the old one; on
  // failure the old pair stays and the error is returned (never thrown).
  ReloadResult Reload();

  // Reload() only when a file's size, mtime or inode changed since the last
  // attempt; a broken file is therefore tried once per change, not on every
  // poll.
  ReloadResult ReloadIfChanged();

  const ArtifactPaths& paths() const { return paths_; }

 private:
  std::string FileSignature() const;

  ArtifactPaths paths_;
  mutable std::mutex mutex_;  // guards current_ and signature_
  std::shared_ptr<const Artifacts> current_;
  std::string signature_;
  std::mutex reload_mutex_;  // one reload at a time (SIGHUP vs watcher)
};

}  // namespace podpower::serve

#endif  // PODPOWER_SERVE_ARTIFACTS_H_
