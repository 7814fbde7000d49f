// `podpower join --features F --labels L --out O`: labels x features ->
// training rows (join/join.h). Flags are the original
// join_features_labels.py's.
#include <iostream>
#include <memory>
#include <string>

#include "cli/command.h"
#include "join/join.h"

namespace podpower::cli {
namespace {

struct JoinFlags {
  std::string features;
  std::string labels;
  std::string out;
};

CommandRegistration reg(40, [](CLI::App& app) {
  auto flags = std::make_shared<JoinFlags>();
  auto* join = app.add_subcommand(
      "join",
      "Join power labels with workload features into training rows (Parquet)");
  join->add_option("--features", flags->features,
                   "Features Parquet (podpower encode output)")
      ->required();
  join->add_option("--labels", flags->labels,
                   "Labels Parquet (podpower labels output)")
      ->required();
  join->add_option("--out", flags->out, "Training rows Parquet to write")
      ->required();
  join->callback([flags] {
    const join::JoinStats stats = join::JoinFeaturesLabelsFiles(
        flags->features, flags->labels, flags->out, std::cerr);
    std::cerr << "podpower: joined " << stats.joined_rows << " rows ("
              << stats.matched_keys << " of " << stats.label_keys
              << " labelled workloads have features) -> " << flags->out << "\n";
  });
});

}  // namespace
}  // namespace podpower::cli
