// Fuzz target: Kubernetes Quantities ("500m", "1.5Gi", "1e3") as manifests and
// API objects carry them in resources.requests/limits: kube::Quantity::TryParse
// and Parse, then every number the collector takes from a quantity.
//
// Checks: no crash and no sanitizer report (the 128-bit nano arithmetic must
// not overflow: UBSan); TryParse never throws and gives a reason when it
// refuses; Parse refuses the same texts with podpower::Error only; an accepted
// quantity's canonical string parses back to the same value.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>

#include "fuzz/fuzz_support.h"
#include "kube/quantity.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace podpower;
  const std::string text = fuzz::Text(data, size);
  std::optional<kube::Quantity> q;
  std::string error;
  try {
    q = kube::Quantity::TryParse(text, &error);
  } catch (const std::exception& e) {
    fuzz::ContractBroken(e);  // TryParse must not throw at all
  }
  const bool parsed =
      fuzz::RejectOnlyWithError([&] { kube::Quantity::Parse(text); });
  if (parsed != q.has_value()) {
    std::fprintf(stderr, "fuzz: Parse and TryParse disagree on \"%s\"\n",
                 text.c_str());
    std::abort();
  }
  if (!q) {
    if (error.empty()) {
      std::fprintf(stderr, "fuzz: TryParse refused without a reason\n");
      std::abort();
    }
    return 0;
  }
  q->Value();
  q->MilliValue();
  q->DivideTruncated(1 << 20);
  kube::MilliCpu(*q);
  kube::MebibytesTruncated(*q);
  const std::string canonical = q->ToString();
  const auto back = kube::Quantity::TryParse(canonical);
  if (!back || back->nano() != q->nano()) {
    std::fprintf(stderr,
                 "fuzz: \"%s\" prints as \"%s\", which does not parse back to "
                 "the same value\n",
                 text.c_str(), canonical.c_str());
    std::abort();
  }
  return 0;
}
