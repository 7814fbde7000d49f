#include "kube/kubeconfig.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "io/error.h"
#include "kube/yaml_limits.h"

namespace podpower::kube {
namespace {

namespace fs = std::filesystem;

// One named entry (cluster, user or context) and the file it came from, for
// relative paths.
struct Entry {
  YAML::Node node;
  std::string file;
};

struct Merged {
  std::vector<std::string> files;  // the files that were read
  std::string current_context;
  std::map<std::string, Entry> clusters, users, contexts;
};

std::string FilesForMessage(const std::vector<std::string>& files) {
  std::string out;
  for (const auto& f : files) out += (out.empty() ? "" : ":") + f;
  return out.empty() ? "(none)" : out;
}

// node[key], or a null node when `node` is absent or null. yaml-cpp throws
// its own BadSubscript when `node` is a scalar (`cluster: x`), so a node that
// is not a mapping is refused here, naming `where`.
YAML::Node Field(const YAML::Node& node, const std::string& key,
                 const std::string& where) {
  if (!node || node.IsNull()) return YAML::Node();
  if (!node.IsMap()) throw Error(where + ": expected a mapping");
  return node[key];
}

std::string Scalar(const YAML::Node& node, const std::string& key,
                   const std::string& where) {
  YAML::Node v = Field(node, key, where);
  if (!v || v.IsNull()) return "";
  if (!v.IsScalar())
    throw Error(where + ": field '" + key + "': expected a string");
  return v.as<std::string>();
}

bool Bool(const YAML::Node& node, const std::string& key,
          const std::string& where) {
  YAML::Node v = Field(node, key, where);
  if (!v || v.IsNull()) return false;
  try {
    return v.as<bool>();
  } catch (const YAML::Exception&) {
    throw Error(where + ": field '" + key + "': expected true or false");
  }
}

std::string ReadWholeFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(what + " " + path + ": cannot read file");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A path from the file at `file`, relative to its folder unless absolute.
std::string Resolve(const std::string& path, const std::string& file) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(file).parent_path() / path).lexically_normal().string();
}

void MergeNamed(const YAML::Node& list, const std::string& section,
                const std::string& file, std::map<std::string, Entry>& into) {
  if (!list || list.IsNull()) return;
  std::string where = "kubeconfig " + file + ": " + section;
  if (!list.IsSequence()) throw Error(where + ": expected a list");
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node& item = list[i];
    std::string at = where + "[" + std::to_string(i) + "]";
    if (!item.IsMap()) throw Error(at + ": expected a mapping");
    std::string name = Scalar(item, "name", at);
    if (name.empty())
      throw Error(at + ": field 'name': expected a non-empty string");
    std::string body = section == "clusters" ? "cluster"
                       : section == "users"  ? "user"
                                             : "context";
    into.try_emplace(
        name,
        Entry{item[body] ? item[body] : YAML::Node(YAML::NodeType::Map), file});
  }
}

Merged Merge(const std::vector<std::string>& paths) {
  Merged m;
  std::set<std::string> seen;
  for (const auto& path : paths) {
    if (path.empty() || !seen.insert(path).second) continue;
    std::error_code ec;
    if (!fs::exists(path, ec))
      continue;  // kubectl skips missing KUBECONFIG entries
    std::string text = ReadWholeFile(path, "kubeconfig");
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      throw Error("kubeconfig " + path + ":" + std::to_string(e.mark.line + 1) +
                  ": " + YamlParseReason(e));
    }
    // The fields below are looked up in the node graph, aliases followed;
    // refuse a file whose aliases expand without bound before that.
    YamlBudget budget(text.size(), "kubeconfig " + path);
    CheckYamlBounds(root, budget);
    m.files.push_back(path);
    if (!root || root.IsNull()) continue;
    if (!root.IsMap())
      throw Error("kubeconfig " + path + ": expected a mapping at the top");
    if (m.current_context.empty()) {
      m.current_context = Scalar(root, "current-context", "kubeconfig " + path);
    }
    MergeNamed(root["clusters"], "clusters", path, m.clusters);
    MergeNamed(root["users"], "users", path, m.users);
    MergeNamed(root["contexts"], "contexts", path, m.contexts);
  }
  return m;
}

std::string Names(const std::map<std::string, Entry>& entries) {
  std::string out;
  for (const auto& [name, _] : entries) out += (out.empty() ? "" : ", ") + name;
  return out.empty() ? "none" : out;
}

void ReadCluster(const Entry& e, const std::string& name, RestConfig& config) {
  std::string where = "kubeconfig " + e.file + ": cluster \"" + name + "\"";
  config.server = Scalar(e.node, "server", where);
  if (config.server.empty())
    throw Error(where + ": field 'server': expected the API server URL");
  while (config.server.ends_with('/')) config.server.pop_back();
  std::string ca_data = Scalar(e.node, "certificate-authority-data", where);
  if (!ca_data.empty()) {
    config.tls.ca_pem =
        DecodeBase64(ca_data, where + ": field 'certificate-authority-data'");
  } else {
    config.tls.ca_file =
        Resolve(Scalar(e.node, "certificate-authority", where), e.file);
  }
  config.tls.insecure_skip_verify =
      Bool(e.node, "insecure-skip-tls-verify", where);
  config.tls.server_name = Scalar(e.node, "tls-server-name", where);
}

void ReadUser(const Entry& e, const std::string& name, RestConfig& config) {
  std::string where = "kubeconfig " + e.file + ": user \"" + name + "\"";
  const YAML::Node& u = e.node;
  std::string cert_data = Scalar(u, "client-certificate-data", where);
  if (!cert_data.empty()) {
    config.tls.client_cert_pem =
        DecodeBase64(cert_data, where + ": field 'client-certificate-data'");
  } else {
    config.tls.client_cert_file =
        Resolve(Scalar(u, "client-certificate", where), e.file);
  }
  std::string key_data = Scalar(u, "client-key-data", where);
  if (!key_data.empty()) {
    config.tls.client_key_pem =
        DecodeBase64(key_data, where + ": field 'client-key-data'");
  } else {
    config.tls.client_key_file =
        Resolve(Scalar(u, "client-key", where), e.file);
  }
  config.token = Scalar(u, "token", where);
  if (config.token.empty())
    config.token_file = Resolve(Scalar(u, "tokenFile", where), e.file);
  config.username = Scalar(u, "username", where);
  config.password = Scalar(u, "password", where);
  const YAML::Node auth_provider = Field(u, "auth-provider", where);
  if (auth_provider && !auth_provider.IsNull()) {
    throw Error(where +
                ": 'auth-provider' plugins are not supported; use an exec "
                "credential plugin");
  }
  YAML::Node exec = Field(u, "exec", where);
  if (exec && !exec.IsNull()) {
    std::string at = where + ": exec";
    if (!exec.IsMap()) throw Error(at + ": expected a mapping");
    ExecConfig x;
    x.api_version = Scalar(exec, "apiVersion", at);
    if (x.api_version != "client.authentication.k8s.io/v1" &&
        x.api_version != "client.authentication.k8s.io/v1beta1") {
      throw Error(at +
                  ": field 'apiVersion': expected "
                  "client.authentication.k8s.io/v1 or /v1beta1, "
                  "got \"" +
                  x.api_version + "\"");
    }
    x.command = Scalar(exec, "command", at);
    if (x.command.empty())
      throw Error(at + ": field 'command': expected a program");
    // kubectl resolves a command with a path separator relative to the
    // kubeconfig's folder.
    if (x.command.find('/') != std::string::npos)
      x.command = Resolve(x.command, e.file);
    const YAML::Node args = exec["args"];
    if (args && args.IsSequence()) {
      for (const auto& a : args) {
        if (!a.IsScalar())
          throw Error(at + ": field 'args': expected a list of strings");
        x.args.push_back(a.Scalar());
      }
    }
    const YAML::Node env = exec["env"];
    if (env && env.IsSequence()) {
      for (const auto& v : env) {
        x.env.emplace_back(Scalar(v, "name", at + ".env"),
                           Scalar(v, "value", at + ".env"));
      }
    }
    x.install_hint = Scalar(exec, "installHint", at);
    x.provide_cluster_info = Bool(exec, "provideClusterInfo", at);
    config.exec = std::move(x);
  }
}

std::vector<std::string> SplitPathList(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream s(list);
  std::string item;
  while (std::getline(s, item, ':')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

std::string DecodeBase64(const std::string& text, const std::string& field) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  size_t padding = 0;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    int v = value(c);
    if (v < 0 || padding > 0) throw Error(field + ": expected base64 data");
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  if (padding > 2 || bits >= 6) throw Error(field + ": expected base64 data");
  return out;
}

RestConfig LoadKubeconfig(const std::vector<std::string>& paths,
                          const std::string& context) {
  Merged m = Merge(paths);
  std::string files = FilesForMessage(m.files.empty() ? paths : m.files);
  if (m.files.empty()) throw Error("kubeconfig " + files + ": no such file");
  std::string name = context.empty() ? m.current_context : context;
  if (name.empty()) {
    throw Error("kubeconfig " + files +
                ": no current-context set; pass --context (have: " +
                Names(m.contexts) + ")");
  }
  auto ctx = m.contexts.find(name);
  if (ctx == m.contexts.end()) {
    throw Error("kubeconfig " + files + ": context \"" + name +
                "\" not found (have: " + Names(m.contexts) + ")");
  }
  std::string where =
      "kubeconfig " + ctx->second.file + ": context \"" + name + "\"";
  RestConfig config;
  config.context = name;
  std::string cluster = Scalar(ctx->second.node, "cluster", where);
  config.user = Scalar(ctx->second.node, "user", where);
  std::string ns = Scalar(ctx->second.node, "namespace", where);
  if (!ns.empty()) config.namespace_ = ns;
  auto c = m.clusters.find(cluster);
  if (c == m.clusters.end()) {
    throw Error(where + ": cluster \"" + cluster +
                "\" not found (have: " + Names(m.clusters) + ")");
  }
  ReadCluster(c->second, cluster, config);
  if (!config.user.empty()) {
    auto u = m.users.find(config.user);
    if (u == m.users.end()) {
      throw Error(where + ": user \"" + config.user +
                  "\" not found (have: " + Names(m.users) + ")");
    }
    ReadUser(u->second, config.user, config);
  }
  return config;
}

RestConfig InClusterConfig(const std::string& root) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr || *host == '\0' || *port == '\0') {
    throw Error(
        "in-cluster config: KUBERNETES_SERVICE_HOST and "
        "KUBERNETES_SERVICE_PORT must be set");
  }
  RestConfig config;
  config.context = "in-cluster";
  config.user = "serviceaccount";
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6
  config.server = "https://" + h + ":" + port;
  config.token_file = root + "/token";
  std::error_code ec;
  if (!fs::exists(config.token_file, ec)) {
    throw Error("in-cluster config: " + config.token_file +
                ": cannot read service-account token");
  }
  if (fs::exists(root + "/ca.crt", ec)) config.tls.ca_file = root + "/ca.crt";
  if (fs::exists(root + "/namespace", ec)) {
    std::string ns = ReadWholeFile(root + "/namespace", "in-cluster config");
    while (!ns.empty() && (ns.back() == '\n' || ns.back() == ' '))
      ns.pop_back();
    if (!ns.empty()) config.namespace_ = ns;
  }
  return config;
}

RestConfig LoadRestConfig(const KubeconfigOptions& options) {
  RestConfig config;
  if (!options.kubeconfig.empty()) {
    std::error_code ec;
    if (!fs::exists(options.kubeconfig, ec)) {
      throw Error("kubeconfig " + options.kubeconfig + ": no such file");
    }
    config = LoadKubeconfig({options.kubeconfig}, options.context);
  } else if (const char* env = std::getenv("KUBECONFIG");
             env != nullptr && *env != '\0') {
    config = LoadKubeconfig(SplitPathList(env), options.context);
  } else {
    const char* home = std::getenv("HOME");
    std::string path =
        home != nullptr ? std::string(home) + "/.kube/config" : "";
    std::error_code ec;
    if (!path.empty() && fs::exists(path, ec)) {
      config = LoadKubeconfig({path}, options.context);
    } else if (std::getenv("KUBERNETES_SERVICE_HOST") != nullptr) {
      config = InClusterConfig();
    } else {
      throw Error(
          "no Kubernetes configuration: pass --kubeconfig, set KUBECONFIG, "
          "create "
          "~/.kube/config, or run in a pod");
    }
  }
  if (!options.ca_file.empty()) {
    config.tls.ca_file = options.ca_file;
    config.tls.ca_pem.clear();
  }
  if (options.verify_ssl.has_value() && !*options.verify_ssl)
    config.tls.insecure_skip_verify = true;
  return config;
}

}  // namespace podpower::kube
