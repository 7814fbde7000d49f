#include "kube/api_client.h"

#include <cstdlib>

namespace podpower::kube {

ApiClient::ApiClient(RestConfig config, ApiClientOptions options)
    : config_(std::move(config)), options_(options), credentials_(config_) {}

std::shared_ptr<http::Client> ApiClient::ClientFor(
    const CurrentCredentials& creds) {
  std::lock_guard lock(mu_);
  if (client_ && creds.cert_pem == client_cert_) return client_;
  http::ClientOptions o;
  o.tls = config_.tls;
  if (!creds.cert_pem.empty()) {
    o.tls.client_cert_pem = creds.cert_pem;
    o.tls.client_key_pem = creds.key_pem;
    o.tls.client_cert_file.clear();
    o.tls.client_key_file.clear();
  }
  o.credentials.username = config_.username;
  o.credentials.password = config_.password;
  o.version = options_.version;
  o.user_agent = "podpower-collect";
  client_ = std::make_shared<http::Client>(o);
  client_cert_ = creds.cert_pem;
  return client_;
}

void ApiClient::ThrowStatus(const http::Request& request,
                            const http::Response& response) {
  std::string reason, message;
  try {
    auto body = nlohmann::json::parse(response.body);
    if (body.is_object()) {
      reason = body.value("reason", "");
      message = body.value("message", "");
    }
  } catch (const nlohmann::json::exception&) {
    message = response.body.substr(0, 200);
  }
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  int retry_after = std::atoi(response.Header("Retry-After").c_str());
  std::string head = "context \"" + config_.context + "\": " + request.method +
                     " " + http::RedactUrl(request.url) + ": " +
                     std::to_string(response.status);
  if (!reason.empty()) head += " " + reason;
  if (response.status == 401) {
    head += ": the server rejected the credentials of user \"" + config_.user +
            "\"";
  } else if (response.status == 403) {
    head += ": user \"" + config_.user + "\" is not allowed to do this";
  }
  if (!message.empty()) head += ": " + message;
  throw ApiError(head, response.status, reason, retry_after);
}

http::Response ApiClient::Perform(http::Request request,
                                  const http::LineHandler* on_line,
                                  const http::Cancel* cancel) {
  request.url = config_.server + request.url;
  for (int attempt = 0;; ++attempt) {
    CurrentCredentials creds = credentials_.Get();
    std::shared_ptr<http::Client> client = ClientFor(creds);
    request.bearer_token = creds.token;
    http::Response response;
    try {
      response = on_line ? client->Stream(request, *on_line, cancel)
                         : client->Do(request);
    } catch (const Error& e) {
      throw Error("context \"" + config_.context + "\": " + e.what());
    }
    last_http_version_ = response.http_version;
    if (response.status == 401 && attempt == 0 &&
        (config_.exec || !config_.token_file.empty())) {
      credentials_.Invalidate();  // a rotated token or expired plugin
                                  // credential: try once more
      continue;
    }
    if (response.status < 200 || response.status >= 300)
      ThrowStatus(request, response);
    return response;
  }
}

nlohmann::json ApiClient::Get(const std::string& path) {
  http::Request request;
  request.url = path;
  request.timeout = options_.request_timeout;
  request.headers = {{"Accept", "application/json"}};
  http::Response r = Perform(request, nullptr, nullptr);
  try {
    return nlohmann::json::parse(r.body);
  } catch (const nlohmann::json::exception& e) {
    throw Error("context \"" + config_.context + "\": GET " + config_.server +
                path + ": expected a JSON body: " + e.what());
  }
}

nlohmann::json ApiClient::Send(const std::string& method,
                               const std::string& path, const std::string& body,
                               const std::string& content_type) {
  http::Request request;
  request.method = method;
  request.url = path;
  request.body = body;
  request.timeout = options_.request_timeout;
  request.headers = {{"Accept", "application/json"},
                     {"Content-Type", content_type}};
  http::Response r = Perform(request, nullptr, nullptr);
  if (r.body.empty()) return nullptr;
  try {
    return nlohmann::json::parse(r.body);
  } catch (const nlohmann::json::exception& e) {
    throw Error("context \"" + config_.context + "\": " + method + " " +
                config_.server + path + ": expected a JSON body: " + e.what());
  }
}

http::Response ApiClient::Watch(const std::string& path,
                                const http::LineHandler& on_line,
                                const http::Cancel* cancel,
                                std::chrono::seconds idle_timeout) {
  http::Request request;
  request.url = path;
  request.idle_timeout = idle_timeout;
  request.headers = {{"Accept", "application/json"}};
  return Perform(request, &on_line, cancel);
}

}  // namespace podpower::kube
