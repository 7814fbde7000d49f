// Requests to one Kubernetes API server as one user: JSON GETs, writes, and
// watch streams.
//
// ApiClient adds the current credentials to every request (CredentialSource),
// retries once with fresh credentials after a 401 (rotated tokens, expired exec
// credentials), and turns error statuses into ApiError carrying the status code
// and the server's Status reason. Thread-safe: informers for several kinds
// share one ApiClient.
#ifndef PODPOWER_KUBE_API_CLIENT_H_
#define PODPOWER_KUBE_API_CLIENT_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "http/client.h"
#include "io/error.h"
#include "kube/credentials.h"
#include "kube/kubeconfig.h"

namespace podpower::kube {

// An HTTP error status from the API server. what() is one line: "context \"c\":
// GET <url>: 410 Expired: <server message>"; 401/403 name the context and user,
// never the token.
class ApiError : public Error {
 public:
  ApiError(const std::string& message, long status, std::string reason,
           int retry_after_seconds)
      : Error(message),
        status_(status),
        reason_(std::move(reason)),
        retry_after_seconds_(retry_after_seconds) {}
  long status() const { return status_; }
  const std::string& reason() const {
    return reason_;
  }  // Status.reason, e.g. "Expired"
  int retry_after_seconds() const {
    return retry_after_seconds_;
  }  // 0 when not given

 private:
  long status_;
  std::string reason_;
  int retry_after_seconds_;
};

struct ApiClientOptions {
  http::HttpVersion version = http::HttpVersion::kAuto;
  std::chrono::milliseconds request_timeout{
      60000};  // for GETs and writes, not for watches
};

class ApiClient {
 public:
  explicit ApiClient(RestConfig config, ApiClientOptions options = {});

  const RestConfig& config() const { return config_; }

  // GET server + path (path includes the query). Returns the parsed JSON body
  // of a 2xx answer. Throws ApiError for error statuses and podpower::Error for
  // transport failures or a body that is not JSON.
  nlohmann::json Get(const std::string& path);

  // POST/PUT/PATCH/DELETE with a JSON body (content type given for PATCH
  // flavours).
  nlohmann::json Send(const std::string& method, const std::string& path,
                      const std::string& body,
                      const std::string& content_type = "application/json");

  // Streams a watch (or any line-delimited JSON) response. Returns when the
  // server ends the stream, on_line returns false, or cancel fires
  // (Response::cancelled). Throws like Get() for an error status before the
  // stream starts. idle_timeout ends a stream on which nothing arrived for that
  // long (a dead connection) with podpower::Error.
  http::Response Watch(const std::string& path,
                       const http::LineHandler& on_line,
                       const http::Cancel* cancel,
                       std::chrono::seconds idle_timeout);

  // The HTTP version negotiated by the last completed request (1 or 2), for
  // tests and logs.
  int last_http_version() const { return last_http_version_.load(); }

 private:
  std::shared_ptr<http::Client> ClientFor(const CurrentCredentials& creds);
  http::Response Perform(http::Request request,
                         const http::LineHandler* on_line,
                         const http::Cancel* cancel);
  [[noreturn]] void ThrowStatus(const http::Request& request,
                                const http::Response& response);

  RestConfig config_;
  ApiClientOptions options_;
  CredentialSource credentials_;
  std::mutex mu_;
  std::shared_ptr<http::Client>
      client_;               // rebuilt when an exec plugin hands out a new cert
  std::string client_cert_;  // the cert client_ was built with
  std::atomic<int> last_http_version_{0};
};

}  // namespace podpower::kube

#endif  // PODPOWER_KUBE_API_CLIENT_H_
