// Optional bearer-token authentication for the prediction endpoints of
// `podpower serve` (--auth-token-file).
//
// The token is the file's content without surrounding whitespace (a mounted
// Kubernetes Secret). The file is re-read when its modification time or size
// changes, so a rotated Secret takes effect without a restart; while the new
// content is unreadable or empty, the last good token stays in force.
// Comparison takes the same time whatever the first differing byte. Neither
// the token nor the Authorization header ever appears in an error or log.
// Thread-safe: Accepts may be called from every worker at once.
#ifndef PODPOWER_SERVE_BEARER_AUTH_H_
#define PODPOWER_SERVE_BEARER_AUTH_H_

#include <ctime>
#include <mutex>
#include <string>

namespace podpower::serve {

class BearerTokenFile {
 public:
  // Reads the token now. Throws podpower::Error naming the path (never its
  // content) when the file cannot be read or holds no token.
  explicit BearerTokenFile(std::string path);

  // True when `authorization` is "Bearer <token>" (scheme case-insensitive).
  bool Accepts(const std::string& authorization);

 private:
  // Re-reads the file when it changed; keeps the old token on failure.
  void Refresh();

  const std::string path_;
  std::mutex mu_;
  std::string token_;
  std::timespec mtime_{};
  long long size_ = -1;
};

}  // namespace podpower::serve

#endif  // PODPOWER_SERVE_BEARER_AUTH_H_
