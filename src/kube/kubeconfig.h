// Where the Kubernetes API server is and how to authenticate, resolved like
// kubectl does.
//
// Sources, first match wins: --kubeconfig; the KUBECONFIG list
// (colon-separated, files merged as kubectl merges them: for clusters, users
// and contexts the first file defining a name wins, the first non-empty
// current-context wins, missing files are skipped); ~/.kube/config; in-cluster
// service-account configuration (KUBERNETES_SERVICE_HOST/PORT). Relative paths
// inside a file are relative to that file's folder. The functions have no
// shared state and are thread-safe.
#ifndef PODPOWER_KUBE_KUBECONFIG_H_
#define PODPOWER_KUBE_KUBECONFIG_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http/client.h"

namespace podpower::kube {

// users[].user.exec: a client.authentication.k8s.io credential plugin.
struct ExecConfig {
  std::string api_version;  // client.authentication.k8s.io/v1 or /v1beta1
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string install_hint;
  bool provide_cluster_info = false;
};

// Everything needed to talk to one API server as one user.
struct RestConfig {
  std::string context;  // context name ("in-cluster" for service accounts);
                        // used in messages
  std::string user;     // user entry name; used in messages, never secret
  std::string server;   // "https://host:port", no trailing slash
  std::string namespace_ = "default";  // the context's namespace
  http::TlsOptions tls;
  std::string token;  // static bearer token (secret)
  std::string
      token_file;  // re-read when it changes (rotated service-account tokens)
  std::string username;  // basic auth
  std::string password;
  std::optional<ExecConfig> exec;
};

struct KubeconfigOptions {
  std::string kubeconfig;  // --kubeconfig; empty: KUBECONFIG, then
                           // ~/.kube/config, then in-cluster
  std::string context;     // --context; empty: current-context
  // The original collector's flags: --ca-file overrides the cluster CA;
  // --verify-ssl=false (verify_ssl == false) skips verification.
  std::string ca_file;
  std::optional<bool> verify_ssl;
};

// Resolves the configuration. Throws podpower::Error naming the file and field
// ("kubeconfig /x/config: context \"prod\" not found (have: a, b)"), or saying
// that no configuration exists. A file whose YAML aliases expand past the
// limits of kube/yaml_limits.h (billion laughs) is refused as a whole, as
// kubectl refuses "excessive aliasing", before any field is read.
RestConfig LoadRestConfig(const KubeconfigOptions& options);

// The merged kubeconfig from `paths` (in order), then the chosen context.
// Throws as above.
RestConfig LoadKubeconfig(const std::vector<std::string>& paths,
                          const std::string& context);

// In-cluster configuration from the environment and the service-account folder
// (`root`, default /var/run/secrets/kubernetes.io/serviceaccount: token,
// ca.crt, namespace). Throws when KUBERNETES_SERVICE_HOST/PORT are unset or the
// token is unreadable.
RestConfig InClusterConfig(
    const std::string& root = "/var/run/secrets/kubernetes.io/serviceaccount");

// Standard base64 (kubeconfig *-data fields). Throws podpower::Error naming
// `field` when invalid.
std::string DecodeBase64(const std::string& text, const std::string& field);

}  // namespace podpower::kube

#endif  // PODPOWER_KUBE_KUBECONFIG_H_
