// InferenceRequest v1: one workload spec, as the original collector writes it
// (NDJSON).
//
// The record keeps the JSON object as read (`raw`: key order, unknown fields,
// integer vs float) because _spec_hash is defined over it, and a typed view of
// the fields the encoder uses. Writing emits the original's field order
// (docs/formats/inference-request.md). Values are plain data: copyable, no
// shared state, thread-compatible.
#ifndef PODPOWER_IO_INFERENCE_REQUEST_H_
#define PODPOWER_IO_INFERENCE_REQUEST_H_

#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace podpower::io {

struct Container {
  std::string name;
  std::string image;
  std::optional<std::vector<std::string>> command;  // null in JSON when absent
  std::optional<std::vector<std::string>> args;
  std::optional<int64_t> req_cpu_mcpu;
  std::optional<int64_t> req_mem_mib;
  std::optional<int64_t> lim_cpu_mcpu;
  std::optional<int64_t> lim_mem_mib;
};

struct InferenceRequest {
  std::string schema_version = "v1";
  std::string namespace_;
  std::string workload_kind;
  std::string workload_name;
  std::map<std::string, std::string> labels;       // pod template labels
  std::map<std::string, std::string> annotations;  // pod template annotations
  std::vector<Container> containers;
  int64_t init_container_count = 0;
  int64_t sidecar_count = 0;
  std::vector<std::string> volume_types;
  std::optional<std::string> node_type;
  std::optional<std::string> runtime_class;
  int64_t gpu_count = 0;
  std::optional<int64_t> parallelism;
  std::optional<int64_t> completions;

  // The object as read (or as built by ToJson for records made from manifests).
  nlohmann::ordered_json raw;
};

// Parses and validates one record. Unknown fields are ignored (kept in raw);
// missing fields take their empty value (strings "", counts 0, optionals null).
// Label/annotation values and command/args elements that are JSON scalars but
// not strings are kept as Python's str() of them (what the original's text
// bundle used); a bare string command/args becomes a one-word list. Throws
// podpower::Error naming `where` (e.g. "file.ndjson:12") and the field:
// "file.ndjson:12: field 'containers[0].image': expected string, got number".
InferenceRequest ParseInferenceRequest(const nlohmann::ordered_json& object,
                                       const std::string& where);

// The original's JSON object, fields in its order, nulls written as null.
nlohmann::ordered_json ToJson(const InferenceRequest& record);

// Fields the live collector adds that describe one sighting of a workload, not
// its pod spec; SpecHash leaves them out.
inline constexpr const char* kObservationFields[] = {
    "event", "uid", "resource_version", "observed_at", "replicas", "schedule"};

// First 16 hex chars of sha256 over Python's json.dumps(raw, sort_keys=True)
// (see python_json.h), with kObservationFields removed first. For the
// original's records (which have none of them) this is exactly its _spec_hash.
std::string SpecHash(const InferenceRequest& record);

struct NdjsonReadOptions {
  bool skip_invalid =
      false;  // warn on stderr, count, go on (instead of throwing)
};

struct NdjsonReadResult {
  std::vector<InferenceRequest> records;
  size_t skipped = 0;
};

// Reads InferenceRequest NDJSON from `path` ("-" = stdin). Blank lines are
// skipped. A malformed line throws podpower::Error "<path>:<line>: <parse
// error>" unless options.skip_invalid. An input with no records throws "<path>:
// no records".
NdjsonReadResult ReadInferenceRequests(const std::string& path,
                                       const NdjsonReadOptions& options = {});

// The same for an already open stream; `name` stands for it in messages.
NdjsonReadResult ReadInferenceRequests(std::istream& input,
                                       const std::string& name,
                                       const NdjsonReadOptions& options = {});

// One compact JSON line per record (no spaces, UTF-8 as is, like the original's
// collector). A record is written from `raw` when set (so a record read and
// written again is unchanged), else from ToJson(record): set raw =
// ToJson(record) after editing a parsed record's typed fields.
std::string FormatInferenceRequests(
    const std::vector<InferenceRequest>& records);

// FormatInferenceRequests written atomically to `path` ("-" = stdout).
void WriteInferenceRequests(const std::vector<InferenceRequest>& records,
                            const std::string& path);

}  // namespace podpower::io

#endif  // PODPOWER_IO_INFERENCE_REQUEST_H_
