#include "predict/live_workloads.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

#include "collect/manifest.h"
#include "io/error.h"
#include "kube/api_client.h"
#include "kube/resources.h"

namespace podpower::predict {
namespace {

struct TypeNames {
  std::string_view kind;
  std::string_view group;                 // kubectl accepts "<name>.<group>"
  std::array<std::string_view, 3> names;  // singular, plural, short ("" none)
};

// kubectl's names for the kinds collect::RecordFromObject accepts (`kubectl
// api-resources`).
constexpr std::array<TypeNames, 7> kTypes = {{
    {"Deployment", "apps", {"deployment", "deployments", "deploy"}},
    {"StatefulSet", "apps", {"statefulset", "statefulsets", "sts"}},
    {"DaemonSet", "apps", {"daemonset", "daemonsets", "ds"}},
    {"ReplicaSet", "apps", {"replicaset", "replicasets", "rs"}},
    {"Job", "batch", {"job", "jobs", ""}},
    {"CronJob", "batch", {"cronjob", "cronjobs", "cj"}},
    {"Pod", "", {"pod", "pods", "po"}},
}};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

std::string KindFromType(const std::string& type) {
  const std::string lower = Lower(type);
  for (const auto& t : kTypes) {
    for (std::string_view name : t.names) {
      if (name.empty()) continue;
      if (lower == name) return std::string(t.kind);
      // deployment.apps, deployments.apps.v1 is not kubectl's; the group only.
      if (!t.group.empty() &&
          lower == std::string(name) + "." + std::string(t.group)) {
        return std::string(t.kind);
      }
    }
  }
  throw Error("resource type \"" + type +
              "\": expected a workload type (deployment, statefulset, "
              "daemonset, replicaset, job, cronjob, pod, or their plurals and "
              "short names deploy, sts, ds, rs, cj, po)");
}

std::vector<ObjectRef> ParseObjectRefs(const std::vector<std::string>& args) {
  std::vector<ObjectRef> refs;
  if (args.empty()) return refs;
  const bool slash_form = args[0].find('/') != std::string::npos;
  if (slash_form) {
    for (const auto& arg : args) {
      const auto slash = arg.find('/');
      if (slash == std::string::npos) {
        throw Error("\"" + arg +
                    "\": expected TYPE/NAME like the other arguments (all "
                    "TYPE/NAME, or TYPE NAME...)");
      }
      const std::string name = arg.substr(slash + 1);
      if (name.empty() || name.find('/') != std::string::npos) {
        throw Error("\"" + arg +
                    "\": expected TYPE/NAME, e.g. deployment/web (files "
                    "need one -f each)");
      }
      refs.push_back({KindFromType(arg.substr(0, slash)), name});
    }
    return refs;
  }
  const std::string kind = KindFromType(args[0]);
  if (args.size() == 1) {
    throw Error("\"" + args[0] +
                "\": a resource type needs a name (TYPE NAME or TYPE/NAME, "
                "e.g. deployment/web)");
  }
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i].empty() || args[i].find('/') != std::string::npos) {
      throw Error("\"" + args[i] + "\": expected a name after type \"" +
                  args[0] + "\" (TYPE/NAME and TYPE NAME cannot be mixed)");
    }
    refs.push_back({kind, args[i]});
  }
  return refs;
}

std::vector<io::InferenceRequest> ReadLiveWorkloads(
    const std::vector<ObjectRef>& refs, const LiveOptions& options) {
  std::vector<io::InferenceRequest> records;
  if (refs.empty()) return records;
  const kube::RestConfig config = kube::LoadRestConfig(options.connection);
  const std::string ns =
      options.namespace_.empty() ? config.namespace_ : options.namespace_;
  kube::ApiClient api(config);
  for (const auto& ref : refs) {
    const kube::ResourceType type = kube::ResolveKind(api, ref.kind);
    nlohmann::json object = api.Get(type.CollectionPath(ns) + "/" + ref.name);
    // A single GET carries kind and apiVersion; set them anyway, as the
    // record names its kind from the object.
    if (!object.contains("kind")) object["kind"] = type.kind;
    if (!object.contains("apiVersion"))
      object["apiVersion"] = type.ApiVersion();
    records.push_back(collect::RecordFromObject(
        object, "context \"" + config.context + "\": " + type.kind + " " + ns +
                    "/" + ref.name));
  }
  return records;
}

}  // namespace podpower::predict
