// The secrets a request to the API server carries, kept fresh for collectors
// that run for weeks.
//
// Static tokens are used as given; a token file (in-cluster service accounts,
// kubeconfig tokenFile) is re-read when its modification time changes, because
// the kubelet rotates projected tokens in place; an exec credential plugin
// (client.authentication.k8s.io v1 / v1beta1) is run on first use and again
// when its credential expires or the server rejects it (Invalidate()).
// Thread-safe: many informers share one CredentialSource. Secrets are never put
// in messages.
#ifndef PODPOWER_KUBE_CREDENTIALS_H_
#define PODPOWER_KUBE_CREDENTIALS_H_

#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "kube/kubeconfig.h"

namespace podpower::kube {

struct CurrentCredentials {
  std::string token;     // bearer token, may be empty
  std::string cert_pem;  // client certificate from an exec plugin, may be empty
  std::string key_pem;
};

class CredentialSource {
 public:
  explicit CredentialSource(const RestConfig& config);

  // Throws podpower::Error "context \"c\": exec plugin \"cmd\": <reason>" when
  // a plugin fails or prints something that is not an ExecCredential, or when a
  // token file cannot be read.
  CurrentCredentials Get();

  // The server said 401: the next Get() re-runs the plugin and re-reads the
  // token file.
  void Invalidate();

 private:
  void RunExecPlugin();  // requires mu_

  RestConfig config_;
  std::mutex mu_;
  CurrentCredentials current_;
  bool loaded_ = false;
  std::optional<std::chrono::system_clock::time_point> expiry_;
  std::filesystem::file_time_type token_mtime_{};
};

// Parses an RFC 3339 timestamp ("2026-01-02T03:04:05Z", fractional seconds and
// offsets allowed). Returns std::nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> ParseRfc3339(
    const std::string& text);

}  // namespace podpower::kube

#endif  // PODPOWER_KUBE_CREDENTIALS_H_
