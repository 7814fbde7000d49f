// Pod -> workload attribution (which Deployment, Job, CronJob, StatefulSet,
// DaemonSet a pod ran for), from three sources tried in order:
//   - "prom": kube-state-metrics series in the same Prometheus
//     (kube_pod_owner, then kube_replicaset_owner / kube_job_owner for the
//     next link), queried over the same window as the energy, so finished
//     Jobs and old ReplicaSets still resolve;
//   - "k8s": ownership records from the Kubernetes API (pod-ownership NDJSON,
//     see docs/formats/labels.md);
//   - "names": Kubernetes' naming conventions (<deployment>-<template
//   hash>-<5>,
//     <cronjob>-<unix minutes>-<5>); everything else is its own workload of
//     kind Pod.
// The original's rules are kept where it had them: a ReplicaSet with no known
// owner becomes a Deployment named without a trailing "-<9+ hex>", a pod with
// no owner is kind "Pod" named after itself. OwnerIndex is filled once, then
// only read (thread-compatible).
#ifndef PODPOWER_LABELS_OWNERS_H_
#define PODPOWER_LABELS_OWNERS_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace podpower::labels {

enum class OwnerSource { kAuto, kProm, kK8s, kNames };

// "auto", "prom", "k8s", "names"; throws podpower::Error naming --owner-source
// otherwise.
OwnerSource ParseOwnerSource(std::string_view text);

struct Workload {
  std::string
      kind;  // Deployment, Job, CronJob, StatefulSet, DaemonSet, Node, Pod, ...
  std::string name;
  std::string
      source;  // "prom", "k8s", "names" or "none" (no source knew the pod)
};

// Name conventions only; kind "Pod" and the pod's own name when nothing
// matches.
Workload WorkloadFromPodName(std::string_view pod);

// The original's ReplicaSet rule: "<base>-<9+ hex>" -> base, else the name
// unchanged.
std::string StripReplicaSetHash(std::string_view replicaset);

class OwnerIndex {
 public:
  // kube_pod_owner: an empty (or "<none>") kind means the pod has no owner.
  void AddPodOwner(const std::string& ns, const std::string& pod,
                   const std::string& uid, const std::string& kind,
                   const std::string& name);
  void AddReplicaSetOwner(const std::string& ns, const std::string& replicaset,
                          const std::string& kind, const std::string& name);
  void AddJobOwner(const std::string& ns, const std::string& job,
                   const std::string& kind, const std::string& name);
  // A pod's controller as the Kubernetes API reports it (already walked to the
  // workload or the direct owner; ReplicaSets and Jobs are walked further with
  // the same tables).
  void AddApiPod(const std::string& ns, const std::string& pod,
                 const std::string& uid, const std::string& kind,
                 const std::string& name);

  // Resolves one pod. `uid` may be empty (0.7-era Kepler); then namespace and
  // pod name are used.
  Workload Resolve(const std::string& ns, const std::string& pod,
                   const std::string& uid, OwnerSource source) const;

  size_t prom_pods() const { return prom_by_name_.size(); }
  size_t api_pods() const { return api_by_name_.size(); }

 private:
  using Ref = std::pair<std::string, std::string>;  // kind, name
  std::optional<Workload> Lookup(
      const std::map<std::string, Ref>& by_uid,
      const std::map<std::pair<std::string, std::string>, Ref>& by_name,
      const std::string& ns, const std::string& pod, const std::string& uid,
      const char* source) const;
  Workload Walk(const std::string& ns, Ref ref, const char* source) const;

  std::map<std::string, Ref> prom_by_uid_;
  std::map<std::pair<std::string, std::string>, Ref> prom_by_name_;
  std::map<std::string, Ref> api_by_uid_;
  std::map<std::pair<std::string, std::string>, Ref> api_by_name_;
  std::map<std::pair<std::string, std::string>, Ref> replicaset_owner_;
  std::map<std::pair<std::string, std::string>, Ref> job_owner_;
};

}  // namespace podpower::labels

#endif  // PODPOWER_LABELS_OWNERS_H_
