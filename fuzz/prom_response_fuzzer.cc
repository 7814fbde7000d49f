// Fuzz target: Prometheus HTTP API answers, as `labels` reads them:
// prom::ParseQueryResponse (the single-pass matrix/vector/scalar parser),
// ParseStringData (label values), ParseSeriesData (/api/v1/series) and
// ParseApiError, each over the same body.
//
// Checks: no crash and no sanitizer report (the parser indexes the body
// itself: reads past its end are ASan reports); a rejected body throws
// podpower::Error and nothing else; ParseApiError never throws; series come
// back with their labels sorted by name (Series::Label relies on it).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz/fuzz_support.h"
#include "prom/response.h"

namespace {

void CheckSorted(const std::vector<podpower::prom::Series>& series) {
  for (const auto& s : series) {
    if (!std::is_sorted(s.labels.begin(), s.labels.end())) {
      std::fprintf(stderr, "fuzz: series labels are not sorted\n");
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace podpower;
  // A copy of exactly `size` bytes, so ASan sees any read past the body.
  const std::string body = fuzz::Text(data, size);
  const std::string_view view(body);
  fuzz::RejectOnlyWithError(
      [&] { CheckSorted(prom::ParseQueryResponse(view, "fuzz").series); });
  fuzz::RejectOnlyWithError([&] { prom::ParseStringData(view, "fuzz"); });
  fuzz::RejectOnlyWithError(
      [&] { CheckSorted(prom::ParseSeriesData(view, "fuzz")); });
  try {
    prom::ParseApiError(view);
  } catch (const std::exception& e) {
    fuzz::ContractBroken(e);  // a yes/no question: must not throw
  }
  return 0;
}
