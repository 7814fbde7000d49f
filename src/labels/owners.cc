#include "labels/owners.h"

#include <cctype>
#include <regex>

#include "io/error.h"

namespace podpower::labels {
namespace {

// Kubernetes' pod-template-hash and generated-name alphabet
// (k8s.io/apimachinery rand.SafeEncodeString).
const std::regex& DeploymentPod() {
  static const std::regex re(
      "^(.+)-[bcdfghjklmnpqrstvwxz2456789]{5,10}-[bcdfghjklmnpqrstvwxz2456789]{"
      "5}$");
  return re;
}
const std::regex& CronJobPod() {
  static const std::regex re("^(.+)-[0-9]{8,10}-[a-z0-9]{5}$");
  return re;
}

bool NoOwner(const std::string& kind) {
  return kind.empty() || kind == "<none>";
}

}  // namespace

OwnerSource ParseOwnerSource(std::string_view text) {
  if (text == "auto") return OwnerSource::kAuto;
  if (text == "prom") return OwnerSource::kProm;
  if (text == "k8s") return OwnerSource::kK8s;
  if (text == "names") return OwnerSource::kNames;
  throw Error("--owner-source: expected prom, k8s, names or auto, got '" +
              std::string(text) + "'");
}

std::string StripReplicaSetHash(std::string_view replicaset) {
  static const std::regex re("^(.+)-[0-9a-f]{9,}$");
  std::cmatch m;
  std::string s(replicaset);
  if (std::regex_match(s.c_str(), m, re)) return m[1].str();
  return s;
}

Workload WorkloadFromPodName(std::string_view pod) {
  std::string s(pod);
  std::smatch m;
  if (std::regex_match(s, m, CronJobPod()))
    return {"CronJob", m[1].str(), "names"};
  if (std::regex_match(s, m, DeploymentPod()))
    return {"Deployment", m[1].str(), "names"};
  return {"Pod", s, "names"};
}

void OwnerIndex::AddPodOwner(const std::string& ns, const std::string& pod,
                             const std::string& uid, const std::string& kind,
                             const std::string& name) {
  Ref ref = NoOwner(kind) ? Ref{"", ""} : Ref{kind, name};
  auto& slot = prom_by_name_[{ns, pod}];
  // Several series for one pod (replicas of kube-state-metrics): a real owner
  // wins over none.
  if (slot.first.empty()) slot = ref;
  if (!uid.empty()) {
    auto& by_uid = prom_by_uid_[uid];
    if (by_uid.first.empty()) by_uid = ref;
  }
}

void OwnerIndex::AddReplicaSetOwner(const std::string& ns,
                                    const std::string& replicaset,
                                    const std::string& kind,
                                    const std::string& name) {
  if (!NoOwner(kind)) replicaset_owner_[{ns, replicaset}] = {kind, name};
}

void OwnerIndex::AddJobOwner(const std::string& ns, const std::string& job,
                             const std::string& kind, const std::string& name) {
  if (!NoOwner(kind)) job_owner_[{ns, job}] = {kind, name};
}

void OwnerIndex::AddApiPod(const std::string& ns, const std::string& pod,
                           const std::string& uid, const std::string& kind,
                           const std::string& name) {
  Ref ref = NoOwner(kind) ? Ref{"", ""} : Ref{kind, name};
  api_by_name_[{ns, pod}] = ref;
  if (!uid.empty()) api_by_uid_[uid] = ref;
}

Workload OwnerIndex::Walk(const std::string& ns, Ref ref,
                          const char* source) const {
  if (ref.first == "ReplicaSet") {
    auto it = replicaset_owner_.find({ns, ref.second});
    if (it != replicaset_owner_.end())
      return {it->second.first, it->second.second, source};
    // The original's rule when the ReplicaSet's owner is unknown.
    return {"Deployment", StripReplicaSetHash(ref.second), source};
  }
  if (ref.first == "Job") {
    auto it = job_owner_.find({ns, ref.second});
    if (it != job_owner_.end())
      return {it->second.first, it->second.second, source};
  }
  return {ref.first, ref.second, source};
}

std::optional<Workload> OwnerIndex::Lookup(
    const std::map<std::string, Ref>& by_uid,
    const std::map<std::pair<std::string, std::string>, Ref>& by_name,
    const std::string& ns, const std::string& pod, const std::string& uid,
    const char* source) const {
  const Ref* ref = nullptr;
  if (!uid.empty()) {
    auto it = by_uid.find(uid);
    if (it != by_uid.end()) ref = &it->second;
  }
  if (ref == nullptr) {
    auto it = by_name.find({ns, pod});
    if (it != by_name.end()) ref = &it->second;
  }
  if (ref == nullptr) return std::nullopt;
  if (ref->first.empty()) return Workload{"Pod", pod, source};
  return Walk(ns, *ref, source);
}

Workload OwnerIndex::Resolve(const std::string& ns, const std::string& pod,
                             const std::string& uid, OwnerSource source) const {
  if (source == OwnerSource::kAuto || source == OwnerSource::kProm) {
    if (auto w = Lookup(prom_by_uid_, prom_by_name_, ns, pod, uid, "prom"))
      return *w;
  }
  if (source == OwnerSource::kAuto || source == OwnerSource::kK8s) {
    if (auto w = Lookup(api_by_uid_, api_by_name_, ns, pod, uid, "k8s"))
      return *w;
  }
  if (source == OwnerSource::kAuto || source == OwnerSource::kNames) {
    return WorkloadFromPodName(pod);
  }
  return {"Pod", pod, "none"};
}

}  // namespace podpower::labels
