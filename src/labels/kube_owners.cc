#include "labels/kube_owners.h"

#include <cstdio>
#include <fstream>

#include "collect/live_collect.h"
#include "io/error.h"

namespace podpower::labels {
namespace {

std::string Where(const std::string& path, size_t line) {
  return path + ":" + std::to_string(line);
}

std::string JsonString(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return "";
  if (!it->is_string())
    throw Error(std::string("field '") + key + "': expected string");
  return it->get<std::string>();
}

// The controller among Kubernetes ownerReferences (or the first one when none
// is marked).
std::pair<std::string, std::string> ControllerRef(const nlohmann::json& refs) {
  std::pair<std::string, std::string> first;
  if (!refs.is_array()) return first;
  for (const auto& ref : refs) {
    if (!ref.is_object()) continue;
    std::pair<std::string, std::string> r{JsonString(ref, "kind"),
                                          JsonString(ref, "name")};
    auto c = ref.find("controller");
    if (c != ref.end() && c->is_boolean() && c->get<bool>()) return r;
    if (first.first.empty()) first = r;
  }
  return first;
}

}  // namespace

void AddPodOwnerRecord(const nlohmann::json& obj, OwnerIndex* index) {
  if (!obj.is_object()) throw Error("expected a JSON object");
  std::string kind = JsonString(obj, "kind");
  std::string ns, name, uid;
  std::pair<std::string, std::string> owner;
  if (obj.contains("metadata")) {  // a Kubernetes object as the API returns it
    const auto& meta = obj["metadata"];
    if (!meta.is_object()) throw Error("field 'metadata': expected object");
    ns = JsonString(meta, "namespace");
    name = JsonString(meta, "name");
    uid = JsonString(meta, "uid");
    if (meta.contains("ownerReferences"))
      owner = ControllerRef(meta["ownerReferences"]);
  } else {
    ns = JsonString(obj, "namespace");
    name =
        obj.contains("pod") ? JsonString(obj, "pod") : JsonString(obj, "name");
    // pod_owner_v1 (collect list --pods) says pod_uid.
    uid = obj.contains("pod_uid") ? JsonString(obj, "pod_uid")
                                  : JsonString(obj, "uid");
    if (obj.contains("workload_kind")) {
      owner = {JsonString(obj, "workload_kind"),
               JsonString(obj, "workload_name")};
    } else if (obj.contains("owner_references")) {
      owner = ControllerRef(obj["owner_references"]);
    } else {
      owner = {JsonString(obj, "owner_kind"), JsonString(obj, "owner_name")};
    }
  }
  if (name.empty())
    throw Error("field 'pod' (or metadata.name): expected the pod's name");
  if (kind == "ReplicaSet") {
    index->AddReplicaSetOwner(ns, name, owner.first, owner.second);
  } else if (kind == "Job") {
    index->AddJobOwner(ns, name, owner.first, owner.second);
  } else {
    index->AddApiPod(ns, name, uid, owner.first, owner.second);
  }
}

void LoadPodOwners(const std::string& path, OwnerIndex* index) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot read pod ownership file");
  std::string line;
  size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json obj;
    try {
      obj = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw Error(Where(path, number) + ": not JSON: " + e.what());
    }
    try {
      AddPodOwnerRecord(obj, index);
    } catch (const Error& e) {
      throw Error(Where(path, number) + ": " + e.what());
    }
  }
}

size_t LoadApiPodOwners(const kube::KubeconfigOptions& connection,
                        const std::vector<std::string>& namespaces,
                        OwnerIndex* index) {
  collect::LiveCollectOptions options;
  options.connection = connection;
  options.namespaces = namespaces;
  options.pods = true;
  const auto lines = collect::ListSnapshot(
      options,
      [](const std::string& message) {
        std::fprintf(stderr, "podpower labels: kubernetes api: %s\n",
                     message.c_str());
      },
      nullptr);
  for (const std::string& line : lines) {
    AddPodOwnerRecord(nlohmann::json::parse(line), index);
  }
  return lines.size();
}

}  // namespace podpower::labels
