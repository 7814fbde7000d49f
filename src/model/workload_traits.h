// What the model knows about a workload besides its feature vector: the
// resources power scales with, its software family and its kind.
//
// Power grows with the cores a pod keeps busy, and the spec says how many cores
// it asked for; a neighbour's watts per requested core transfer to a workload
// of another size where its plain watts do not (docs/formats/model.md,
// "Default model"). The family ("registry.k8s.io/coredns/coredns:v1.11.1" ->
// "coredns") groups the same software, and the kind picks the interval's
// calibration. Pure functions, thread-safe.
#ifndef PODPOWER_MODEL_WORKLOAD_TRAITS_H_
#define PODPOWER_MODEL_WORKLOAD_TRAITS_H_

#include <string>

#include "io/inference_request.h"

namespace podpower::model {

struct WorkloadTraits {
  // CPU cores the pod asks for: per container its request, else its limit
  // (Kubernetes defaults a missing request to the limit), summed over the
  // containers; 0 when no container names either.
  double cpu_cores = 0;
  double gpus = 0;     // gpu_count
  std::string family;  // "" = unknown
  std::string kind;    // workload_kind, "" = unknown
};

WorkloadTraits TraitsOf(const io::InferenceRequest& record);

// Last path component of `image`, lower-cased, without ":tag" or "@digest".
// "" for an empty image.
std::string ImageFamily(const std::string& image);

// ImageFamily of the first container's image ("" when there is none).
std::string WorkloadFamily(const io::InferenceRequest& record);

}  // namespace podpower::model

#endif  // PODPOWER_MODEL_WORKLOAD_TRAITS_H_
