// Fuzz target: InferenceRequest v1 NDJSON, as `encode`, `predict --input`,
// `join` and POST /predict/batch read it: io::ReadInferenceRequests over the
// bytes (one JSON object per line), then what is done with each record next:
// its _spec_hash (Python-exact json.dumps, python_json.h) and its NDJSON line.
//
// Checks: no crash and no sanitizer report; a rejected input throws
// podpower::Error and nothing else; records read and written again are
// unchanged (FormatInferenceRequests of what was read reads back to the same
// lines and the same hashes).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "fuzz/fuzz_support.h"
#include "io/inference_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace podpower;
  std::istringstream in(fuzz::Text(data, size));
  io::NdjsonReadResult read;
  if (!fuzz::RejectOnlyWithError(
          [&] { read = io::ReadInferenceRequests(in, "fuzz.ndjson"); })) {
    return 0;
  }
  std::vector<std::string> hashes;
  for (const auto& record : read.records) {
    hashes.push_back(io::SpecHash(record));
    io::ToJson(record);
  }
  const std::string lines = io::FormatInferenceRequests(read.records);
  std::istringstream again_in(lines);
  io::NdjsonReadResult again;
  try {
    again = io::ReadInferenceRequests(again_in, "again");
  } catch (const Error& e) {
    std::fprintf(stderr, "fuzz: written records do not read back: %s\n",
                 e.what());
    std::abort();
  }
  bool same = io::FormatInferenceRequests(again.records) == lines &&
              again.records.size() == hashes.size();
  for (size_t i = 0; same && i < hashes.size(); ++i) {
    same = io::SpecHash(again.records[i]) == hashes[i];
  }
  if (!same) {
    std::fprintf(stderr, "fuzz: records changed when read again:\n%s",
                 lines.c_str());
    std::abort();
  }
  return 0;
}
