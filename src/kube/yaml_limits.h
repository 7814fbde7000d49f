// Bounds on walking a parsed YAML node graph with its aliases followed.
//
// yaml-cpp keeps an alias as a second reference to its anchor's node, so
// parsing is cheap, but whoever walks the result (to convert it to JSON, or to
// look for fields) walks the expanded tree: nine lines of anchors and aliases
// (the "billion laughs") expand to 9^9 leaves, and `&a [*a]` is a cycle.
// YamlBudget counts such a walk and refuses it at fixed limits, as the Go YAML
// library under the Kubernetes API server refuses "excessive aliasing" since
// CVE-2019-11253. Alias-free YAML never reaches the node and byte limits (every
// node and scalar byte needs bytes of text), so they only stop amplification;
// the work and memory of a refused walk are bounded by the limits, not by the
// expansion. The limits are these constants (docs/formats/collect.md).
#ifndef PODPOWER_KUBE_YAML_LIMITS_H_
#define PODPOWER_KUBE_YAML_LIMITS_H_

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string>
#include <vector>

namespace podpower::kube {

// Nodes (mapping keys and values, sequence items, scalars) and scalar bytes
// reached through aliases, in one text. A walk in document order meets the
// text's own nodes at increasing positions; a node met again at an earlier
// position was reached through an alias. A converted node costs about 140
// bytes in the server (JSON, and the records' copies), so aliases cost a
// request at most ~3.5 MB, whatever the size of the text around them (20 such
// requests at once raised a 30 MB server's peak RSS by 18 MB). Real manifests
// rarely use aliases at all.
inline constexpr size_t kYamlAliasNodeAllowance = 10'000;
inline constexpr size_t kYamlAliasScalarByteAllowance = size_t{1} << 20;
// All nodes and scalar bytes of one text, aliases followed: the allowances
// above plus this many per byte of text, which no alias-free text reaches (the
// densest, `[:,:,...]`, has 1.5 nodes per byte; escapes grow at most 1.5×,
// "\L" → U+2028). A backstop for nodes without a position (yaml-cpp's
// implicit nulls take the next token's).
inline constexpr size_t kYamlNodesPerByte = 2;
inline constexpr size_t kYamlScalarBytesPerByte = 2;
// One scalar's length. No field of a Kubernetes object comes near it: etcd
// refuses objects above 1.5 MiB.
inline constexpr size_t kYamlMaxScalarBytes = size_t{4} << 20;
// Nesting with aliases followed (0 = a document's root). yaml-cpp's parser
// refuses text nested about 500 deep by itself; deeper nesting can only come
// from aliases, and a recursive alias nests forever.
inline constexpr int kYamlMaxDepth = 1000;

// The walk budget of one YAML text (all its documents). Not thread-safe: one
// walk at a time.
class YamlBudget {
 public:
  // `text_bytes`: the size of the parsed text, for the per-byte allowances.
  // `source` starts error messages ("app.yaml", "body", "kubeconfig /x").
  YamlBudget(size_t text_bytes, std::string source);

  // The document now being walked (1-based), named in errors; 0 (the start)
  // names none.
  void SetDocument(size_t document) { document_ = document; }

  // Accounts for `node`, met at `depth`. Throws podpower::Error, one line
  // "<source>:<line>: document <n>: <limit exceeded>; refused (...)", when
  // this node crosses a limit.
  void Visit(const YAML::Node& node, int depth);

 private:
  [[noreturn]] void Fail(const YAML::Node& node, const std::string& what) const;

  std::string source_;
  size_t document_ = 0;
  size_t max_nodes_;
  size_t max_scalar_bytes_;
  size_t nodes_ = 0;
  size_t scalar_bytes_ = 0;
  size_t alias_nodes_ = 0;
  size_t alias_scalar_bytes_ = 0;
  int max_pos_ = -1;  // the furthest text position met so far
};

// Walks `root` (keys included, aliases followed), visiting every node in
// `budget`; throws as YamlBudget::Visit. For readers that look up fields in
// the node graph instead of converting it.
void CheckYamlBounds(const YAML::Node& root, YamlBudget& budget);

// YAML::LoadAll(text), except that it cannot hang: Debian's yaml-cpp 0.7
// loops forever, allocating a null document per turn, on a token no node can
// start with at a document's top (a stray ',' anywhere a block node is
// expected: ",", "- !t ,"; jbeder/yaml-cpp#1040, fixed upstream in 0.8.1 by
// PR #1319). So the text is first run through the parser with a handler that
// builds nothing, and a document that starts where the previous one started
// (no token consumed) is refused with YAML::ParserException "unexpected
// '<c>'" at its mark, as LoadAll refuses other syntax errors. Costs a second
// parse (no nodes); throws the YAML::Exception LoadAll throws.
std::vector<YAML::Node> LoadAllYaml(const std::string& text);

// The reason of a yaml-cpp parse error, for callers that add source, line and
// column: its message, except that nesting too deep for the parser says so
// (yaml-cpp's own message is "bad file"); bytes other than printable ASCII
// (yaml-cpp quotes the offending character raw) become \xNN.
std::string YamlParseReason(const YAML::Exception& e);

}  // namespace podpower::kube

#endif  // PODPOWER_KUBE_YAML_LIMITS_H_
