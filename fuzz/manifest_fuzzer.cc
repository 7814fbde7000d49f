// Fuzz target: Kubernetes manifests as `collect from-file` and `predict
// --input` read them. collect::RecordsFromManifest parses the text (JSON, or
// multi-document YAML with anchors and aliases walked under the limits of
// kube/yaml_limits.h), expands Lists and builds each workload's
// InferenceRequest (Quantities, containers, volumes); each record then goes
// where the CLI sends it: its NDJSON line and its _spec_hash.
//
// Checks: no crash and no sanitizer report; time and memory stay inside
// libFuzzer's -timeout/-rss_limit_mb whatever the aliases expand to (the
// billion laughs); a rejected text throws podpower::Error and nothing else;
// and a record built from a manifest is a valid InferenceRequest
// (ParseInferenceRequest(ToJson(record)) accepts it and gives the same line).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "collect/manifest.h"
#include "fuzz/fuzz_support.h"
#include "io/inference_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace podpower;
  const std::string text = fuzz::Text(data, size);
  std::vector<io::InferenceRequest> records;
  if (!fuzz::RejectOnlyWithError(
          [&] { records = collect::RecordsFromManifest(text, "fuzz.yaml"); })) {
    return 0;
  }
  for (const auto& record : records) {
    const std::string line = io::FormatInferenceRequests({record});
    io::SpecHash(record);
    try {
      const auto again = io::ParseInferenceRequest(io::ToJson(record), "again");
      if (io::FormatInferenceRequests({again}) != line) {
        std::fprintf(stderr, "fuzz: record changed when read again: %s",
                     line.c_str());
        std::abort();
      }
    } catch (const Error& e) {
      std::fprintf(stderr, "fuzz: a manifest's record is refused: %s\n",
                   e.what());
      std::abort();
    }
  }
  return 0;
}
