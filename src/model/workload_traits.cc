#include "model/workload_traits.h"

#include <cctype>

namespace podpower::model {

WorkloadTraits TraitsOf(const io::InferenceRequest& record) {
  WorkloadTraits t;
  int64_t mcpu = 0;
  for (const auto& c : record.containers) {
    if (c.req_cpu_mcpu.has_value()) {
      mcpu += *c.req_cpu_mcpu;
    } else if (c.lim_cpu_mcpu.has_value()) {
      mcpu += *c.lim_cpu_mcpu;
    }
  }
  t.cpu_cores = mcpu > 0 ? static_cast<double>(mcpu) / 1000 : 0;
  t.gpus = static_cast<double>(std::max<int64_t>(0, record.gpu_count));
  t.family = WorkloadFamily(record);
  t.kind = record.workload_kind;
  return t;
}

std::string ImageFamily(const std::string& image) {
  std::string name = image.substr(0, image.find('@'));
  const size_t slash = name.rfind('/');
  if (slash != std::string::npos) name = name.substr(slash + 1);
  // A ':' left after the last '/' can only start the tag (a registry port sits
  // before a '/').
  name = name.substr(0, name.find(':'));
  for (char& c : name)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::string WorkloadFamily(const io::InferenceRequest& record) {
  return record.containers.empty() ? std::string()
                                   : ImageFamily(record.containers[0].image);
}

}  // namespace podpower::model
