// What `predict` reads: InferenceRequest NDJSON or Kubernetes manifests, told
// apart by content.
//
// A text whose first non-blank line is a JSON object with "schema_version" is
// NDJSON; anything else is read as YAML/JSON manifests (multi-document, kind:
// List) through the collect stage, so the same records come out as `podpower
// collect from-file` would write. Thread-safe.
#ifndef PODPOWER_PREDICT_WORKLOAD_INPUT_H_
#define PODPOWER_PREDICT_WORKLOAD_INPUT_H_

#include <string>
#include <vector>

#include "io/inference_request.h"

namespace podpower::predict {

// `text` came from `source` (a path or "<stdin>"). Throws podpower::Error
// naming source and line or document on malformed input, and when no workload
// is found.
std::vector<io::InferenceRequest> WorkloadsFromText(const std::string& text,
                                                    const std::string& source,
                                                    bool skip_invalid = false);

// Reads `path` ("-" = stdin) and calls WorkloadsFromText.
std::vector<io::InferenceRequest> ReadWorkloads(const std::string& path,
                                                bool skip_invalid = false);

}  // namespace podpower::predict

#endif  // PODPOWER_PREDICT_WORKLOAD_INPUT_H_
