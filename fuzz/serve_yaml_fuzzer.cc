// Fuzz target: the body of POST /infer/from-yaml and /predict/from-yaml (the
// manifests anyone who reaches the server may send):
// serve::HandleInferFromYaml, the request -> response function the server
// routes to, free of HTTP. It parses the manifests (YAML or JSON, under
// kube/yaml_limits.h), checks kinds, builds the records and answers them as
// JSON.
//
// Checks: no crash and no sanitizer report; time and memory inside libFuzzer's
// limits; nothing escapes as an exception (the contract of api.h: every
// problem is an answer, 400 or 422 with {"detail": ...}; an escaping exception
// is a 500); the answer is 200, 400 or 422 with a JSON body.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz/fuzz_support.h"
#include "serve/api.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace podpower;
  const std::string body = fuzz::Text(data, size);
  serve::ApiResponse r;
  try {
    r = serve::HandleInferFromYaml(body);
  } catch (const std::exception& e) {
    fuzz::ContractBroken(e);  // must be an answer, never an exception
  }
  if ((r.status != 200 && r.status != 400 && r.status != 422) ||
      !nlohmann::json::accept(r.body)) {
    std::fprintf(stderr, "fuzz: answer %d is not JSON or not 200/400/422: %s\n",
                 r.status, r.body.c_str());
    std::abort();
  }
  return 0;
}
