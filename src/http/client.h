// A small HTTP client over libcurl: buffered requests and line streams
// (Kubernetes watches).
//
// One Client holds connection settings (TLS material, credentials, HTTP
// version) and is immutable after construction, so one Client may serve many
// threads at once: every call uses its own curl handle, taken from a pool so
// that idle connections are reused; DNS answers and TLS sessions are shared
// through a locked curl share. The Client must outlive the calls on it.
//
// Failures of the transport (DNS, refused connection, TLS verification,
// timeouts) throw podpower::Error "<METHOD> <url>: <curl's reason>" where the
// URL has its user:password part removed; an HTTP status >= 400 is not an
// exception, the caller decides what it means. Tokens, passwords and key
// material never appear in messages.
#ifndef PODPOWER_HTTP_CLIENT_H_
#define PODPOWER_HTTP_CLIENT_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace podpower::http {

// How the server is verified and how we prove who we are. Each PEM can be given
// as a file or as data (kubeconfig's *-data fields, already base64-decoded);
// data wins when both are set.
struct TlsOptions {
  std::string ca_file;  // empty with empty ca_pem: the system's CA store
  std::string ca_pem;
  std::string client_cert_file;
  std::string client_cert_pem;
  std::string client_key_file;
  std::string client_key_pem;
  bool insecure_skip_verify =
      false;  // off unless the user asks: no peer or host check
  // Verify the server certificate (and send SNI) for this name instead of the
  // URL's host while still connecting to the URL's host (kubeconfig
  // tls-server-name).
  std::string server_name;
};

// Secrets sent with every request. Never logged.
struct Credentials {
  std::string bearer_token;  // "Authorization: Bearer <token>" when non-empty
  std::string username;      // basic auth when non-empty
  std::string password;
};

enum class HttpVersion {
  kAuto,   // HTTP/2 over TLS when the server offers it (ALPN), HTTP/1.1
           // otherwise
  kHttp1,  // always HTTP/1.1
  kHttp2,  // HTTP/2 over TLS, and h2c with upgrade on cleartext
  kHttp2PriorKnowledge,  // h2c without upgrade (cleartext servers that speak
                         // only HTTP/2)
};

struct ClientOptions {
  TlsOptions tls;
  Credentials credentials;
  HttpVersion version = HttpVersion::kAuto;
  std::string user_agent = "podpower";
  std::chrono::milliseconds connect_timeout{10000};
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "GET";
  std::string url;
  Headers headers;   // extra request headers, sent as given
  std::string body;  // sent when non-empty (or when method is POST/PUT/PATCH)
  // Whole-transfer limit; 0 = none (watch streams end by server timeout or
  // cancellation).
  std::chrono::milliseconds timeout{0};
  // 0 = the client's connect timeout.
  std::chrono::milliseconds connect_timeout{0};
  // Abort when fewer than 1 byte/s arrive for this long; 0 = never (detects
  // dead streams).
  std::chrono::seconds idle_timeout{0};
  // Overrides the client's bearer token for this request (rotated or
  // exec-plugin tokens).
  std::string bearer_token;
};

// A request whose body is `fields` encoded as
// application/x-www-form-urlencoded.
Request FormPost(
    std::string url,
    const std::vector<std::pair<std::string, std::string>>& fields);

// Percent-encodes a query or form value (RFC 3986 unreserved characters stay).
std::string UrlEncode(std::string_view value);

struct Response {
  long status = 0;
  Headers headers;   // of the final response, names as the server sent them
  std::string body;  // for Stream(): only filled when status is not 2xx (the
                     // error document)
  int http_version = 0;    // 1 = HTTP/1.x, 2 = HTTP/2
  bool cancelled = false;  // Stream() only: ended by Cancel or by the callback
                           // returning false

  // First header with this name, compared case-insensitively; "" when absent.
  std::string Header(std::string_view name) const;
};

// Stops a running Stream() from any thread; takes effect within about a second
// (the curl progress callback's period) or at the next received chunk,
// whichever comes first.
class Cancel {
 public:
  void Trigger() { cancelled_.store(true); }
  bool cancelled() const { return cancelled_.load(); }

 private:
  std::atomic<bool> cancelled_{false};
};

// Receives each complete line of a 2xx stream body without its "\n" (and "\r").
// Returning false stops the stream (Response::cancelled is then true). A final
// line without "\n" is delivered too. Exceptions thrown here abort the transfer
// and propagate out of Stream().
using LineHandler = std::function<bool(std::string_view line)>;

class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const ClientOptions& options() const { return options_; }

  // Sends the request and returns the whole response.
  Response Do(const Request& request) const;

  // Sends the request and hands the body to `on_line` line by line as it
  // arrives. For a non-2xx status the body is collected into Response::body
  // instead. `cancel` may be null.
  Response Stream(const Request& request, const LineHandler& on_line,
                  const Cancel* cancel = nullptr) const;

  struct Shared;  // curl share + pool of idle handles (client.cc)

 private:
  Response Perform(const Request& request, const LineHandler* on_line,
                   const Cancel* cancel) const;

  ClientOptions options_;
  std::unique_ptr<Shared> shared_;
};

// The URL with any "user:password@" removed, for messages.
std::string RedactUrl(const std::string& url);

}  // namespace podpower::http

#endif  // PODPOWER_HTTP_CLIENT_H_
