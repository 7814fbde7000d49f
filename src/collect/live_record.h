// The record the live collector emits for one workload object: the manifest
// record (the original's fields, from RecordFromObject) plus what only a live
// object has.
//
// Added fields, after the original's (docs/formats/collect.md): event, uid,
// resource_version, observed_at, replicas, parallelism/completions (already in
// the original), schedule, and effective_requests, the pod's effective resource
// requests by the Kubernetes rules. They are part of the record's JSON, so they
// count in _spec_hash; `original_fields_only` leaves them out for
// byte-compatible output. Functions are pure and thread-safe.
#ifndef PODPOWER_COLLECT_LIVE_RECORD_H_
#define PODPOWER_COLLECT_LIVE_RECORD_H_

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "io/inference_request.h"
#include "kube/quantity.h"

namespace podpower::collect {

// The pod spec inside a workload object (spec.template.spec,
// spec.jobTemplate.spec.template.spec, or spec for a Pod); a null JSON when
// absent.
const nlohmann::json& PodSpecOf(const nlohmann::json& object);

// Identity of the pod template (its metadata and spec) as a short hex digest:
// equal digests mean no template change, so scaling or a status update does not
// count as a change.
std::string PodTemplateDigest(const nlohmann::json& object);

// Effective pod requests (kubernetes/component-helpers PodRequests): sum of
// containers, init containers as max(own + sidecars declared before), sidecar
// init containers (restartPolicy: Always) added to the sum, then spec.overhead
// added. A container's missing request defaults to its limit, as API defaulting
// does. Throws podpower::Error naming `where` and the field for a malformed
// quantity.
std::map<std::string, kube::Quantity> EffectivePodRequests(
    const nlohmann::json& pod_spec, const std::string& where);

struct LiveRecordOptions {
  std::string event = "ADDED";  // ADDED, MODIFIED, DELETED
  std::chrono::system_clock::time_point observed_at =
      std::chrono::system_clock::now();
  bool original_fields_only = false;
};

// RecordFromObject(object) plus the live fields. Throws podpower::Error naming
// `where`.
io::InferenceRequest LiveRecord(const nlohmann::json& object,
                                const std::string& where,
                                const LiveRecordOptions& options);

// "2026-11-28T00:03:04.123Z".
std::string FormatTimestamp(std::chrono::system_clock::time_point t);

}  // namespace podpower::collect

#endif  // PODPOWER_COLLECT_LIVE_RECORD_H_
