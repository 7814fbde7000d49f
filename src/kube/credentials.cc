#include "kube/credentials.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "io/error.h"

extern char** environ;

namespace podpower::kube {
namespace {

// A credential this close to expiry is refreshed before use, so a request never
// races the expiry.
constexpr auto kExpiryMargin = std::chrono::seconds(10);

std::string ReadFileOrThrow(const std::string& path,
                            const std::string& context) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error("context \"" + context + "\": token file " + path +
                ": cannot read file");
  std::stringstream s;
  s << in.rdbuf();
  std::string token = s.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' ||
                            token.back() == ' ')) {
    token.pop_back();
  }
  return token;
}

struct PluginResult {
  int exit_status = 0;
  std::string out;
};

// Runs argv with extra environment, stdin from /dev/null, stderr inherited,
// stdout captured.
PluginResult RunCapture(const std::vector<std::string>& argv,
                        const std::vector<std::string>& extra_env,
                        const std::string& what) {
  int fds[2];
  if (pipe(fds) != 0) throw Error(what + ": pipe: " + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);

  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  for (const auto& kv : extra_env) env_strings.push_back(kv);
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);

  pid_t pid = 0;
  int rc =
      posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    throw Error(what + ": cannot run: " + std::strerror(rc));
  }
  PluginResult result;
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n > 0) {
      result.out.append(buffer, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_status =
      WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> ParseRfc3339(
    const std::string& text) {
  int y, mo, d, h, mi, s;
  char sep;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d", &y, &mo, &d, &sep,
                  &h, &mi, &s) != 7) {
    return std::nullopt;
  }
  if (sep != 'T' && sep != 't' && sep != ' ') return std::nullopt;
  size_t pos = 19;
  if (text.size() < pos) return std::nullopt;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() &&
           std::isdigit(static_cast<unsigned char>(text[pos])))
      ++pos;
  }
  long offset = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh, om;
    if (std::sscanf(text.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2)
      return std::nullopt;
    offset = (text[pos] == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  using namespace std::chrono;
  // system_clock counts nanoseconds in 64 bits and ends in 2262; later expiries
  // mean "never".
  if (y >= 2262) return system_clock::time_point::max();
  auto days = sys_days(year{y} / month{static_cast<unsigned>(mo)} /
                       day{static_cast<unsigned>(d)});
  return system_clock::time_point(days) + hours(h) + minutes(mi) + seconds(s) -
         seconds(offset);
}

CredentialSource::CredentialSource(const RestConfig& config)
    : config_(config) {}

void CredentialSource::Invalidate() {
  std::lock_guard lock(mu_);
  loaded_ = false;
  token_mtime_ = {};
}

CurrentCredentials CredentialSource::Get() {
  std::lock_guard lock(mu_);
  auto now = std::chrono::system_clock::now();
  if (config_.exec) {
    if (!loaded_ || (expiry_ && now + kExpiryMargin >= *expiry_))
      RunExecPlugin();
    loaded_ = true;
    return current_;
  }
  if (!loaded_) {
    current_.token = config_.token;
    loaded_ = true;
  }
  if (config_.token.empty() && !config_.token_file.empty()) {
    std::error_code ec;
    auto mtime = std::filesystem::last_write_time(config_.token_file, ec);
    if (ec || mtime != token_mtime_ || current_.token.empty()) {
      current_.token = ReadFileOrThrow(config_.token_file, config_.context);
      if (!ec) token_mtime_ = mtime;
    }
  }
  return current_;
}

void CredentialSource::RunExecPlugin() {
  const ExecConfig& x = *config_.exec;
  std::string what =
      "context \"" + config_.context + "\": exec plugin \"" + x.command + "\"";
  nlohmann::json info = {{"apiVersion", x.api_version},
                         {"kind", "ExecCredential"},
                         {"spec", {{"interactive", false}}}};
  if (x.provide_cluster_info) {
    nlohmann::json cluster = {
        {"server", config_.server},
        {"insecure-skip-tls-verify", config_.tls.insecure_skip_verify}};
    if (!config_.tls.server_name.empty())
      cluster["tls-server-name"] = config_.tls.server_name;
    info["spec"]["cluster"] = cluster;
  }
  std::vector<std::string> env = {"KUBERNETES_EXEC_INFO=" + info.dump()};
  for (const auto& [k, v] : x.env) env.push_back(k + "=" + v);
  std::vector<std::string> argv = {x.command};
  argv.insert(argv.end(), x.args.begin(), x.args.end());
  PluginResult r = RunCapture(argv, env, what);
  if (r.exit_status != 0) {
    std::string hint =
        x.install_hint.empty() ? "" : " (" + x.install_hint + ")";
    throw Error(what + ": exited with status " + std::to_string(r.exit_status) +
                hint);
  }
  nlohmann::json cred;
  try {
    cred = nlohmann::json::parse(r.out);
  } catch (const nlohmann::json::exception&) {
    throw Error(what + ": expected an ExecCredential JSON object on stdout");
  }
  if (!cred.is_object() || cred.value("kind", "") != "ExecCredential") {
    throw Error(what + ": field 'kind': expected ExecCredential");
  }
  if (cred.value("apiVersion", "") != x.api_version) {
    throw Error(what + ": field 'apiVersion': expected " + x.api_version);
  }
  const auto status = cred.find("status");
  if (status == cred.end() || !status->is_object()) {
    throw Error(what + ": field 'status': expected an object");
  }
  auto str = [&](const char* key) -> std::string {
    auto it = status->find(key);
    if (it == status->end() || it->is_null()) return "";
    if (!it->is_string())
      throw Error(what + ": field 'status." + key + "': expected a string");
    return it->get<std::string>();
  };
  CurrentCredentials fresh;
  fresh.token = str("token");
  fresh.cert_pem = str("clientCertificateData");
  fresh.key_pem = str("clientKeyData");
  if (fresh.token.empty() &&
      (fresh.cert_pem.empty() || fresh.key_pem.empty())) {
    throw Error(
        what +
        ": field 'status': expected a token or clientCertificateData and "
        "clientKeyData");
  }
  std::string expiry = str("expirationTimestamp");
  expiry_.reset();
  if (!expiry.empty()) {
    expiry_ = ParseRfc3339(expiry);
    if (!expiry_) {
      throw Error(
          what +
          ": field 'status.expirationTimestamp': expected an RFC 3339 time");
    }
  }
  current_ = std::move(fresh);
}

}  // namespace podpower::kube
