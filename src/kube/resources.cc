#include "kube/resources.h"

#include <algorithm>
#include <cctype>

namespace podpower::kube {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool Serves(ApiClient& api, const std::string& group_version,
            const std::string& resource) {
  try {
    nlohmann::json list = api.Get("/apis/" + group_version);
    for (const auto& r : list.value("resources", nlohmann::json::array())) {
      if (r.value("name", "") == resource) return true;
    }
  } catch (const ApiError& e) {
    if (e.status() != 404) throw;
  }
  return false;
}

}  // namespace

std::string ResourceType::CollectionPath(const std::string& ns) const {
  std::string path =
      group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (!ns.empty()) path += "/namespaces/" + ns;
  return path + "/" + resource;
}

ResourceType ResolveKind(ApiClient& api, const std::string& kind) {
  std::string k = Lower(kind);
  if (k == "deployment") return {"Deployment", "apps", "v1", "deployments"};
  if (k == "statefulset") return {"StatefulSet", "apps", "v1", "statefulsets"};
  if (k == "daemonset") return {"DaemonSet", "apps", "v1", "daemonsets"};
  if (k == "replicaset") return {"ReplicaSet", "apps", "v1", "replicasets"};
  if (k == "job") return {"Job", "batch", "v1", "jobs"};
  if (k == "pod") return {"Pod", "", "v1", "pods"};
  if (k == "cronjob") {
    if (Serves(api, "batch/v1", "cronjobs"))
      return {"CronJob", "batch", "v1", "cronjobs"};
    if (Serves(api, "batch/v1beta1", "cronjobs"))
      return {"CronJob", "batch", "v1beta1", "cronjobs"};
    throw Error("context \"" + api.config().context +
                "\": the server serves CronJob neither as batch/v1 nor as "
                "batch/v1beta1");
  }
  throw Error("--kinds: unknown kind \"" + kind +
              "\" (expected Deployment, StatefulSet, DaemonSet, ReplicaSet, "
              "Job, CronJob or Pod)");
}

}  // namespace podpower::kube
