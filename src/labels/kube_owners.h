// Pod -> workload ownership as the Kubernetes API reports it (owner source
// "k8s"): from a pod-ownership NDJSON file, or read straight from the API with
// the collect stage's client (one `collect list --pods` snapshot).
//
// The API only knows pods that still exist, so pods of finished Jobs and of
// replaced ReplicaSets are usually missing; kube-state-metrics in Prometheus
// (owner source "prom") covers them. Functions fill an OwnerIndex the caller
// owns; not thread-safe on the same index.
#ifndef PODPOWER_LABELS_KUBE_OWNERS_H_
#define PODPOWER_LABELS_KUBE_OWNERS_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kube/kubeconfig.h"
#include "labels/owners.h"

namespace podpower::labels {

// One ownership record into `index`: a pod_owner_v1 line from `podpower
// collect list --pods`, a flat record (namespace, pod, uid, owner_kind /
// owner_name or workload_kind / workload_name or owner_references), or a
// Kubernetes Pod, ReplicaSet or Job object as the API returns it. Throws
// podpower::Error naming the offending field.
void AddPodOwnerRecord(const nlohmann::json& record, OwnerIndex* index);

// Reads pod ownership NDJSON into `index`. Throws podpower::Error
// "<path>:<line>: ..." on a malformed line.
void LoadPodOwners(const std::string& path, OwnerIndex* index);

// Lists every pod (in `namespaces`, or all) with its controller chain from the
// API server `connection` resolves to, into `index`. Returns the number of
// pods. Throws podpower::Error (bad kubeconfig, unreachable server) or
// kube::ApiError (rejected credentials, missing RBAC) with one line that never
// contains a token.
size_t LoadApiPodOwners(const kube::KubeconfigOptions& connection,
                        const std::vector<std::string>& namespaces,
                        OwnerIndex* index);

}  // namespace podpower::labels

#endif  // PODPOWER_LABELS_KUBE_OWNERS_H_
