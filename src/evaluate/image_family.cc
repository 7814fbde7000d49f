#include "evaluate/image_family.h"

#include <cctype>

namespace podpower::evaluate {

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

}  // namespace podpower::evaluate
