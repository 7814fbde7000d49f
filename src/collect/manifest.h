// Kubernetes manifests (YAML or JSON files, as given to kubectl apply) →
// InferenceRequest v1.
//
// A manifest file may hold several YAML documents and `kind: List` (or
// `<Kind>List`) objects; each workload object becomes one record built by
// RecordFromObject, the same function the live collector applies to objects
// from the API server, so both paths give identical records. Workload kinds:
// Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob (pod template at
// spec.jobTemplate.spec.template) and Pod. Field rules follow the original
// collector; see docs/formats/inference-request.md. All functions are
// thread-safe (no shared state).
#ifndef PODPOWER_COLLECT_MANIFEST_H_
#define PODPOWER_COLLECT_MANIFEST_H_

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "io/inference_request.h"

namespace podpower::collect {

// True for the kinds RecordFromObject accepts.
bool IsWorkloadKind(std::string_view kind);

// Builds the record of one workload object (a Deployment, Pod, ... as JSON).
// `where` prefixes error messages ("app.yaml: document 2 (Deployment web)").
// Throws podpower::Error naming the field path when a field has the wrong type,
// a quantity does not parse, or the kind is not a workload kind. The record's
// raw JSON is ToJson(record), so SpecHash works on it.
io::InferenceRequest RecordFromObject(const nlohmann::json& object,
                                      const std::string& where);

// Parses YAML (multi-document) or JSON text into JSON documents, in file order;
// empty documents are dropped. YAML plain scalars are typed as Kubernetes' YAML
// reader types them (YAML 1.1: null/~, true/false/yes/no/on/off, integers,
// floats; everything else a string); quoted scalars are strings. Throws
// podpower::Error "<source>:<line>:<column>: <reason>" on a syntax error, and
// "<source>:<line>: document <n>: <limit>; refused (...)" when the documents,
// their aliases followed, cross a limit of kube/yaml_limits.h (billion laughs,
// recursive aliases): the conversion stops there, so its time and memory are
// bounded by the limits, whatever the aliases expand to.
std::vector<nlohmann::json> ParseManifestDocuments(const std::string& text,
                                                   const std::string& source);

// Receives one object of a manifest and the prefix for its messages ("<source>:
// document 2 (List ?) item 0 (Deployment web)"). `object` is a mapping with a
// string `kind`; it is valid during the call only.
using ManifestObjectVisitor =
    std::function<void(const nlohmann::json& object, const std::string& where)>;

// Parses `text` (ParseManifestDocuments) and calls `visit` on each object in
// document order, the items of `kind: List` (or `<Kind>List`) objects in
// place (Lists nested in Lists flattened down to 32 levels). Kinds are not
// checked: the visitor decides what a non-workload object means. Throws
// podpower::Error for what ParseManifestDocuments refuses, a document or List
// item that is not a mapping with a string `kind`, a List whose `items` is not
// a list, or Lists nested deeper than 32 levels; what `visit` throws
// propagates unchanged.
void ForEachManifestObject(const std::string& text, const std::string& source,
                           const ManifestObjectVisitor& visit);

struct ManifestOptions {
  // Objects of other kinds (Service, ConfigMap, ...) are skipped with a warning
  // on stderr instead of failing the run.
  bool skip_unknown = false;
};

// All workload records of one manifest text, in document order (List items in
// place; Lists nested in Lists are flattened down to 32 levels, deeper ones
// refused with podpower::Error).
std::vector<io::InferenceRequest> RecordsFromManifest(
    const std::string& text, const std::string& source,
    const ManifestOptions& options = {});

// Reads each path ("-" = stdin) and returns the records of all of them. Throws
// podpower::Error when a file cannot be read or when no workload was found at
// all.
std::vector<io::InferenceRequest> RecordsFromManifestFiles(
    const std::vector<std::string>& paths, const ManifestOptions& options = {});

// `podpower collect from-file`: RecordsFromManifestFiles written as NDJSON to
// `out`
// ("-" = stdout), atomically. Returns the number of records written.
size_t CollectFromFiles(const std::vector<std::string>& paths,
                        const std::string& out,
                        const ManifestOptions& options = {});

}  // namespace podpower::collect

#endif  // PODPOWER_COLLECT_MANIFEST_H_
