#include "http/client.h"

#include <curl/curl.h>

#include <cstring>
#include <exception>
#include <mutex>
#include <optional>

#include "io/error.h"

namespace podpower::http {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' ||
                        s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// State of one transfer, shared with curl's C callbacks.
struct Transfer {
  CURL* curl = nullptr;
  Response response;
  const LineHandler* on_line = nullptr;
  const Cancel* cancel = nullptr;
  std::string pending;   // bytes of an unfinished line
  bool stopped = false;  // the handler or Cancel asked to stop
  std::exception_ptr error;

  bool Streaming() {
    if (on_line == nullptr) return false;
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    return status >= 200 && status < 300;
  }

  // Delivers complete lines; returns false to stop the transfer.
  bool Deliver(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!(*on_line)(line)) {
      stopped = true;
      return false;
    }
    return true;
  }

  bool Feed(const char* data, size_t size) {
    size_t start = 0;
    for (size_t i = 0; i < size; ++i) {
      if (data[i] != '\n') continue;
      bool ok;
      if (pending.empty()) {
        ok = Deliver(std::string_view(data + start, i - start));
      } else {
        pending.append(data + start, i - start);
        ok = Deliver(pending);
        pending.clear();
      }
      start = i + 1;
      if (!ok) return false;
    }
    pending.append(data + start, size - start);
    return true;
  }
};

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    t->response.headers
        .clear();  // a new response (after 100 Continue or a proxy CONNECT)
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->response.headers.emplace_back(std::string(Trim(line.substr(0, colon))),
                                     std::string(Trim(line.substr(colon + 1))));
  }
  return size * count;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  if (t->cancel != nullptr && t->cancel->cancelled()) {
    t->stopped = true;
    return 0;
  }
  if (!t->Streaming()) {
    t->response.body.append(data, n);
    return n;
  }
  try {
    if (!t->Feed(data, n)) return 0;
  } catch (...) {
    t->error = std::current_exception();
    return 0;
  }
  return n;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->cancel != nullptr && t->cancel->cancelled()) {
    t->stopped = true;
    return 1;
  }
  return 0;
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

std::string UrlPart(CURLU* url, CURLUPart part, unsigned flags = 0) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, flags) != CURLUE_OK || value == nullptr)
    return "";
  std::string out(value);
  curl_free(value);
  return out;
}

// For tls-server-name: the URL to request (host replaced) plus the CONNECT_TO
// rule that sends the connection to the real host, and the Host header the
// server should still see.
struct Redirected {
  std::string url;
  std::string connect_to;
  std::string host_header;
};

Redirected RedirectForServerName(const Request& request,
                                 const std::string& server_name) {
  std::unique_ptr<CURLU, UrlDeleter> url(curl_url());
  if (curl_url_set(url.get(), CURLUPART_URL, request.url.c_str(), 0) !=
      CURLUE_OK) {
    throw Error(request.method + " " + RedactUrl(request.url) +
                ": malformed URL");
  }
  std::string host = UrlPart(url.get(), CURLUPART_HOST);
  std::string port = UrlPart(url.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  std::string explicit_port = UrlPart(url.get(), CURLUPART_PORT);
  Redirected out;
  out.host_header = explicit_port.empty() ? host : host + ":" + explicit_port;
  curl_url_set(url.get(), CURLUPART_HOST, server_name.c_str(), 0);
  out.url = UrlPart(url.get(), CURLUPART_URL);
  out.connect_to = server_name + ":" + port + ":" + host + ":" + port;
  return out;
}

void SetBlob(CURL* curl, CURLoption option, const std::string& pem) {
  curl_blob blob{};
  blob.data = const_cast<char*>(pem.data());
  blob.len = pem.size();
  blob.flags = CURL_BLOB_COPY;
  curl_easy_setopt(curl, option, &blob);
}

}  // namespace

struct Client::Shared {
  CURLSH* share = nullptr;
  std::mutex locks[CURL_LOCK_DATA_LAST];

  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<Shared*>(user)->locks[data].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<Shared*>(user)->locks[data].unlock();
  }

  Shared() {
    share = curl_share_init();
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, &Shared::Lock);
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, &Shared::Unlock);
    curl_share_setopt(share, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    // Not CURL_LOCK_DATA_CONNECT: libcurl does not support sharing connections
    // between concurrent threads. Idle easy handles are pooled instead; each
    // keeps its live connections across curl_easy_reset.
  }
  ~Shared() {
    for (CURL* c : idle) curl_easy_cleanup(c);
    curl_share_cleanup(share);
  }

  std::mutex idle_mu;
  std::vector<CURL*> idle;

  CURL* Take() {
    {
      std::lock_guard lock(idle_mu);
      if (!idle.empty()) {
        CURL* c = idle.back();
        idle.pop_back();
        curl_easy_reset(c);
        return c;
      }
    }
    return curl_easy_init();
  }
  void Give(CURL* c) {
    std::lock_guard lock(idle_mu);
    idle.push_back(c);
  }
};

namespace {
// Returns the easy handle to the pool when the call ends, however it ends.
class Lease {
 public:
  explicit Lease(Client::Shared* shared)
      : shared_(shared), curl_(shared->Take()) {}
  ~Lease() {
    if (curl_ != nullptr) shared_->Give(curl_);
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  CURL* get() const { return curl_; }

 private:
  Client::Shared* shared_;
  CURL* curl_;
};
}  // namespace

Client::Client(ClientOptions options) : options_(std::move(options)) {
  GlobalInit();
  shared_ = std::make_unique<Shared>();
}

Client::~Client() = default;

Response Client::Do(const Request& request) const {
  return Perform(request, nullptr, nullptr);
}

Response Client::Stream(const Request& request, const LineHandler& on_line,
                        const Cancel* cancel) const {
  return Perform(request, &on_line, cancel);
}

Response Client::Perform(const Request& request, const LineHandler* on_line,
                         const Cancel* cancel) const {
  Lease easy(shared_.get());
  if (easy.get() == nullptr)
    throw Error(request.method + " " + RedactUrl(request.url) +
                ": curl_easy_init failed");
  CURL* curl = easy.get();
  Transfer t;
  t.curl = curl;
  t.on_line = on_line;
  t.cancel = cancel;
  char errbuf[CURL_ERROR_SIZE] = {0};

  const TlsOptions& tls = options_.tls;
  std::string url = request.url;
  std::unique_ptr<curl_slist, SlistDeleter> connect_to;
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  auto add_header = [&](const std::string& line) {
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  };
  if (!tls.server_name.empty()) {
    Redirected r = RedirectForServerName(request, tls.server_name);
    url = r.url;
    connect_to.reset(curl_slist_append(nullptr, r.connect_to.c_str()));
    curl_easy_setopt(curl, CURLOPT_CONNECT_TO, connect_to.get());
    add_header("Host: " + r.host_header);
  }

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_SHARE, shared_->share);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPIDLE, 30L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPINTVL, 15L);
  // Compressed buffered responses, but never compressed streams: a compressor
  // on the server may hold lines back until its buffer fills, which stalls
  // watches.
  if (on_line == nullptr) curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
  if (!options_.user_agent.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  }

  long version = CURL_HTTP_VERSION_2TLS;
  switch (options_.version) {
    case HttpVersion::kAuto:
      version = CURL_HTTP_VERSION_2TLS;
      break;
    case HttpVersion::kHttp1:
      version = CURL_HTTP_VERSION_1_1;
      break;
    case HttpVersion::kHttp2:
      version = CURL_HTTP_VERSION_2_0;
      break;
    case HttpVersion::kHttp2PriorKnowledge:
      version = CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
      break;
  }
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, version);

  auto connect_ms = request.connect_timeout.count() > 0
                        ? request.connect_timeout
                        : options_.connect_timeout;
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(connect_ms.count()));
  if (request.timeout.count() > 0) {
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(request.timeout.count()));
  }
  if (request.idle_timeout.count() > 0) {
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                     static_cast<long>(request.idle_timeout.count()));
  }

  // TLS. A given CA replaces the system store rather than adding to it, as
  // kubectl does.
  if (!tls.ca_pem.empty()) {
    SetBlob(curl, CURLOPT_CAINFO_BLOB, tls.ca_pem);
    curl_easy_setopt(curl, CURLOPT_CAPATH, nullptr);
  } else if (!tls.ca_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, tls.ca_file.c_str());
    curl_easy_setopt(curl, CURLOPT_CAPATH, nullptr);
  }
  if (!tls.client_cert_pem.empty()) {
    SetBlob(curl, CURLOPT_SSLCERT_BLOB, tls.client_cert_pem);
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
  } else if (!tls.client_cert_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, tls.client_cert_file.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
  }
  if (!tls.client_key_pem.empty()) {
    SetBlob(curl, CURLOPT_SSLKEY_BLOB, tls.client_key_pem);
    curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
  } else if (!tls.client_key_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLKEY, tls.client_key_file.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
  }
  if (tls.insecure_skip_verify) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }

  // Credentials: a header for bearer tokens, curl's own basic auth for
  // user/password.
  const std::string& token = request.bearer_token.empty()
                                 ? options_.credentials.bearer_token
                                 : request.bearer_token;
  if (!token.empty()) add_header("Authorization: Bearer " + token);
  if (!options_.credentials.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME,
                     options_.credentials.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD,
                     options_.credentials.password.c_str());
  }
  for (const auto& [name, value] : request.headers)
    add_header(name + ": " + value);
  add_header("Expect:");  // no 100-continue round trip for bodies

  // Method and body.
  bool has_body = !request.body.empty() || request.method == "POST" ||
                  request.method == "PUT" || request.method == "PATCH";
  if (has_body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  }
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET" || has_body) {
    if (!(request.method == "POST" && has_body)) {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());

  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  if (cancel != nullptr) {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &OnProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
  }

  CURLcode code = curl_easy_perform(curl);
  if (t.error) std::rethrow_exception(t.error);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &t.response.status);
  long negotiated = 0;
  curl_easy_getinfo(curl, CURLINFO_HTTP_VERSION, &negotiated);
  t.response.http_version = (negotiated == CURL_HTTP_VERSION_2_0 ||
                             negotiated == CURL_HTTP_VERSION_2TLS)
                                ? 2
                                : 1;
  if (t.stopped) {
    t.response.cancelled = true;
    return std::move(t.response);
  }
  if (code != CURLE_OK) {
    std::string message = request.method + " " + RedactUrl(request.url) + ": " +
                          curl_easy_strerror(code);
    if (errbuf[0] != '\0') message += std::string(" (") + errbuf + ")";
    throw Error(message);
  }
  if (on_line != nullptr && t.Streaming() && !t.pending.empty()) {
    t.Deliver(t.pending);
    if (t.stopped) t.response.cancelled = true;
  }
  return std::move(t.response);
}

std::string Response::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

std::string UrlEncode(std::string_view value) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Request FormPost(
    std::string url,
    const std::vector<std::pair<std::string, std::string>>& fields) {
  Request request;
  request.method = "POST";
  request.url = std::move(url);
  for (const auto& [key, value] : fields) {
    if (!request.body.empty()) request.body += '&';
    request.body += UrlEncode(key) + "=" + UrlEncode(value);
  }
  request.headers.emplace_back("Content-Type",
                               "application/x-www-form-urlencoded");
  return request;
}

std::string RedactUrl(const std::string& url) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t end = url.find_first_of("/?#", start);
  if (end == std::string::npos) end = url.size();
  size_t at = url.rfind('@', end == 0 ? 0 : end - 1);
  if (at == std::string::npos || at < start) return url;
  return url.substr(0, start) + url.substr(at + 1);
}

}  // namespace podpower::http
