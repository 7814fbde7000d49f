// Fuzz target: the body of POST /admission, an AdmissionReview from the API
// server (or anyone who can reach the webhook): parsed as JSON as the server
// does, then serve::Admit with no model loaded (so it runs every check of the
// review and the object up to the prediction; the object's fields themselves
// are fuzzed by manifest_fuzzer through the same collect::RecordFromObject).
//
// Checks: no crash and no sanitizer report; the contract of admission.h:
// podpower::Error only for a review without a string request.uid, and every
// other review gets an answer (never another exception, which the server would
// turn into a 500 and the API server into a failed call); the answer echoes
// the uid and serialises.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz/fuzz_support.h"
#include "serve/admission.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace podpower;
  using nlohmann::json;
  const json review = json::parse(fuzz::Text(data, size), nullptr, false);
  if (review.is_discarded()) return 0;  // the server answers 400 itself
  const bool has_uid = review.is_object() && review.contains("request") &&
                       review["request"].is_object() &&
                       review["request"].contains("uid") &&
                       review["request"]["uid"].is_string();
  serve::AdmissionResult result;
  try {
    result = serve::Admit(review, nullptr, {});
  } catch (const Error& e) {
    if (has_uid) {
      std::fprintf(stderr, "fuzz: a review with request.uid is refused: %s\n",
                   e.what());
      std::abort();
    }
    return 0;
  } catch (const std::exception& e) {
    fuzz::ContractBroken(e);
  }
  try {
    if (!has_uid ||
        result.review.at("response").at("uid") != review["request"]["uid"]) {
      std::fprintf(stderr, "fuzz: the answer does not echo request.uid\n");
      std::abort();
    }
    result.review.dump();
  } catch (const std::exception& e) {
    fuzz::ContractBroken(e);
  }
  return 0;
}
