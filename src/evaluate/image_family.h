// The software family of a workload: its main container image without
// registry, path and tag ("registry.k8s.io/coredns/coredns:v1.11.1" ->
// "coredns", "bitnami/redis:7.2" -> "redis"). Used by the per-family baseline
// and to split errors into seen- and unseen-family workloads. Pure,
// thread-safe.
#ifndef PODPOWER_EVALUATE_IMAGE_FAMILY_H_
#define PODPOWER_EVALUATE_IMAGE_FAMILY_H_

#include <string>

#include "io/inference_request.h"

namespace podpower::evaluate {

// Last path component of `image`, lower-cased, without ":tag" or "@digest".
// "" for an empty image.
std::string ImageFamily(const std::string& image);

// ImageFamily of the first container's image ("" when there is none).
std::string WorkloadFamily(const io::InferenceRequest& record);

}  // namespace podpower::evaluate

#endif  // PODPOWER_EVALUATE_IMAGE_FAMILY_H_
