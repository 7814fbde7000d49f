#include "encode/text_bundle.h"

#include <vector>

namespace podpower::encode {
namespace {

std::string JoinWords(const std::optional<std::vector<std::string>>& words) {
  std::string out;
  if (!words) return out;
  for (size_t i = 0; i < words->size(); ++i) {
    if (i > 0) out += ' ';
    out += (*words)[i];
  }
  return out;
}

}  // namespace

std::string TextBundle(const io::InferenceRequest& record) {
  std::vector<std::string> parts;
  if (!record.workload_kind.empty())
    parts.push_back("workload_kind:" + record.workload_kind);
  if (!record.workload_name.empty())
    parts.push_back("workload_name:" + record.workload_name);
  // std::map iterates keys in byte order, which for UTF-8 is Python's code
  // point order.
  for (const auto& [k, v] : record.labels)
    parts.push_back("label:" + k + "=" + v);
  for (const auto& [k, v] : record.annotations)
    parts.push_back("ann:" + k + "=" + v);
  for (const auto& c : record.containers) {
    if (!c.image.empty()) parts.push_back("image:" + c.image);
    if (std::string command = JoinWords(c.command); !command.empty()) {
      parts.push_back("command:" + command);
    }
    if (std::string args = JoinWords(c.args); !args.empty())
      parts.push_back("args:" + args);
  }
  if (parts.empty()) return "empty";
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += " | ";
    out += parts[i];
  }
  return out;
}

}  // namespace podpower::encode
