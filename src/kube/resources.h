// Which API path serves a workload kind on this server.
//
// Kinds map to fixed groups except CronJob, which 1.21+ serves as batch/v1
// and 1.20 only as batch/v1beta1 (gone in 1.25): ResolveKind asks the server's
// discovery document which one it has. Plain data; the function is thread-safe
// if the ApiClient is.
#ifndef PODPOWER_KUBE_RESOURCES_H_
#define PODPOWER_KUBE_RESOURCES_H_

#include <string>

#include "kube/api_client.h"

namespace podpower::kube {

struct ResourceType {
  std::string kind;      // "Deployment"
  std::string group;     // "apps"; "" for the core group
  std::string version;   // "v1"
  std::string resource;  // "deployments"

  std::string ApiVersion() const {
    return group.empty() ? version : group + "/" + version;
  }
  // "/apis/apps/v1/namespaces/<ns>/deployments", or all namespaces when `ns` is
  // empty.
  std::string CollectionPath(const std::string& ns) const;
};

// Case-insensitive kind name (Deployment, StatefulSet, DaemonSet, ReplicaSet,
// Job, CronJob, Pod) to its resource on this server. Throws podpower::Error for
// an unknown kind, or when the server serves CronJob in no version podpower
// knows.
ResourceType ResolveKind(ApiClient& api, const std::string& kind);

}  // namespace podpower::kube

#endif  // PODPOWER_KUBE_RESOURCES_H_
