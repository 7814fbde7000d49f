// Realistic, varied InferenceRequest records for benchmarks and tests that need
// many of them.
//
// Deterministic: the same (n, seed) gives the same records on every platform
// (own integer arithmetic on a splitmix64 stream, no std:: distributions).
// Records mix workload kinds, 1-3 containers with common images,
// requests/limits in typical steps, labels, annotations, volumes, node types,
// runtime classes and GPUs. raw is set (ToJson), so SpecHash works.
// Thread-safe.
#ifndef PODPOWER_ENCODE_SYNTHETIC_REQUESTS_H_
#define PODPOWER_ENCODE_SYNTHETIC_REQUESTS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "io/inference_request.h"

namespace podpower::encode {

std::vector<io::InferenceRequest> SyntheticRequests(size_t n, uint64_t seed);

}  // namespace podpower::encode

#endif  // PODPOWER_ENCODE_SYNTHETIC_REQUESTS_H_
