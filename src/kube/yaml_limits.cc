#include "kube/yaml_limits.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <sstream>

#include "io/error.h"

namespace podpower::kube {
namespace {

void Walk(const YAML::Node& node, int depth, YamlBudget& budget) {
  budget.Visit(node, depth);
  if (node.IsSequence()) {
    for (const auto& item : node) Walk(item, depth + 1, budget);
  } else if (node.IsMap()) {
    for (const auto& kv : node) {
      Walk(kv.first, depth + 1, budget);
      Walk(kv.second, depth + 1, budget);
    }
  }
}

// Builds nothing; remembers where the current document starts.
class DocumentStarts : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  YAML::Mark start;
};

}  // namespace

std::vector<YAML::Node> LoadAllYaml(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts documents;
  int last_start = -1;
  while (parser.HandleNextDocument(documents)) {
    const YAML::Mark& at = documents.start;
    if (at.pos <= last_start) {
      std::string what = "unexpected ";
      if (at.pos >= 0 && static_cast<size_t>(at.pos) < text.size()) {
        what += "'" + std::string(1, text[at.pos]) + "'";
      } else {
        what += "token";
      }
      throw YAML::ParserException(at, what);
    }
    last_start = at.pos;
  }
  return YAML::LoadAll(text);
}

YamlBudget::YamlBudget(size_t text_bytes, std::string source)
    : source_(std::move(source)),
      max_nodes_(kYamlAliasNodeAllowance + kYamlNodesPerByte * text_bytes),
      max_scalar_bytes_(kYamlAliasScalarByteAllowance +
                        kYamlScalarBytesPerByte * text_bytes) {}

void YamlBudget::Visit(const YAML::Node& node, int depth) {
  if (depth > kYamlMaxDepth) {
    Fail(node, "YAML nests deeper than " + std::to_string(kYamlMaxDepth) +
                   " levels with its aliases followed; refused (recursive "
                   "or excessive aliasing)");
  }
  const int pos = node.Mark().pos;
  const bool aliased = pos >= 0 && pos < max_pos_;
  if (!aliased) max_pos_ = std::max(max_pos_, pos);
  if (aliased && ++alias_nodes_ > kYamlAliasNodeAllowance) {
    Fail(node, "YAML aliases expand to more than " +
                   std::to_string(kYamlAliasNodeAllowance) +
                   " nodes; refused (excessive aliasing)");
  }
  if (++nodes_ > max_nodes_) {
    Fail(node, "YAML expands to more than " + std::to_string(max_nodes_) +
                   " nodes with its aliases followed (limit " +
                   std::to_string(kYamlAliasNodeAllowance) + " + " +
                   std::to_string(kYamlNodesPerByte) +
                   " per byte of text); refused (excessive aliasing)");
  }
  if (!node.IsScalar()) return;
  const size_t size = node.Scalar().size();
  if (size > kYamlMaxScalarBytes) {
    Fail(node, "a YAML scalar of " + std::to_string(size) +
                   " bytes is longer than the limit of " +
                   std::to_string(kYamlMaxScalarBytes) + " bytes; refused");
  }
  if (aliased) {
    alias_scalar_bytes_ += size;
    if (alias_scalar_bytes_ > kYamlAliasScalarByteAllowance) {
      Fail(node, "YAML aliases expand to more than " +
                     std::to_string(kYamlAliasScalarByteAllowance) +
                     " bytes of scalars; refused (excessive aliasing)");
    }
  }
  scalar_bytes_ += size;
  if (scalar_bytes_ > max_scalar_bytes_) {
    Fail(node, "YAML expands to more than " +
                   std::to_string(max_scalar_bytes_) +
                   " bytes of scalars with its aliases followed (limit " +
                   std::to_string(kYamlAliasScalarByteAllowance) + " + " +
                   std::to_string(kYamlScalarBytesPerByte) +
                   " per byte of text); refused (excessive aliasing)");
  }
}

void YamlBudget::Fail(const YAML::Node& node, const std::string& what) const {
  std::string where = source_;
  const YAML::Mark mark = node.Mark();
  if (!mark.is_null()) where += ":" + std::to_string(mark.line + 1);
  if (document_ > 0) where += ": document " + std::to_string(document_);
  throw Error(where + ": " + what);
}

void CheckYamlBounds(const YAML::Node& root, YamlBudget& budget) {
  Walk(root, 0, budget);
}

std::string YamlParseReason(const YAML::Exception& e) {
  if (dynamic_cast<const YAML::DeepRecursion*>(&e) != nullptr) {
    return "YAML nests too deep (the parser stops at " +
           std::to_string(static_cast<const YAML::DeepRecursion&>(e).depth()) +
           " levels)";
  }
  // yaml-cpp quotes the offending character as it is (a NUL, a newline, half
  // of a UTF-8 sequence): escape what is not printable ASCII, so the reason
  // stays one line and can go into JSON answers.
  std::string reason;
  for (char c : e.msg) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7f) {
      reason += c;
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      reason += "\\x";
      reason += kHex[b >> 4];
      reason += kHex[b & 15];
    }
  }
  return reason;
}

}  // namespace podpower::kube
