// `podpower collect from-file PATH... [--out FILE] [--skip-unknown]`: manifests
// → InferenceRequest NDJSON (collect/manifest.h).
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "collect/manifest.h"

namespace podpower::cli {
namespace {

struct CollectFlags {
  std::vector<std::string> paths;
  std::string out = "-";
  bool skip_unknown = false;
};

CommandRegistration collect_registration(10, [](CLI::App& app) {
  auto* collect = app.add_subcommand(
      "collect", "Turn workload specs into InferenceRequest records");
  collect->require_subcommand(1);
  auto flags = std::make_shared<CollectFlags>();
  auto* from_file =
      collect->add_subcommand("from-file",
                              "Kubernetes YAML/JSON manifests (multi-document, "
                              "kind: List) -> InferenceRequest v1 NDJSON");
  from_file->add_option("paths", flags->paths, "Manifest files ('-' = stdin)")
      ->required();
  from_file->add_option("--out", flags->out,
                        "Output NDJSON file ('-' = stdout)");
  from_file->add_flag(
      "--skip-unknown", flags->skip_unknown,
      "Skip objects that are not workloads (Service, ConfigMap, ...) with a "
      "warning instead of failing");
  from_file->callback([flags] {
    collect::ManifestOptions options;
    options.skip_unknown = flags->skip_unknown;
    size_t n = collect::CollectFromFiles(flags->paths, flags->out, options);
    if (flags->out != "-")
      std::cerr << "podpower: wrote " << n << " records to " << flags->out
                << "\n";
  });
});

}  // namespace
}  // namespace podpower::cli
