// Fuzz target: a kubeconfig file, read as `collect watch/list` and `labels
// --kube-owners` read it: kube::LoadKubeconfig on the file's bytes (YAML with
// aliases walked under kube/yaml_limits.h first, then clusters, users,
// contexts, base64 *-data fields, exec plugins) with its current-context.
//
// Checks: no crash and no sanitizer report; time and memory inside libFuzzer's
// limits (a billion-laughs kubeconfig is refused before any field is read); a
// rejected file throws podpower::Error and nothing else (yaml-cpp's own
// exceptions, e.g. a mapping where a string is expected, must not escape).
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.h"
#include "kube/kubeconfig.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace podpower;
  const std::string path = fuzz::ScratchDir::Get().Write(
      "config", std::string_view(reinterpret_cast<const char*>(data), size));
  fuzz::RejectOnlyWithError([&] { kube::LoadKubeconfig({path}, ""); });
  return 0;
}
