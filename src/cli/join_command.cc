// `podpower join --features F --labels L --out O`: labels x features ->
// training rows (join/join.h). Flags are the original
// join_features_labels.py's, plus the layout and the out-of-core limits.
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
  std::string layout = "aggregated";
  join::JoinOptions options;
};

CommandRegistration join_registration(40, [](CLI::App& app) {
  auto flags = std::make_shared<JoinFlags>();
  auto* join = app.add_subcommand(
      "join",
      "Join power labels with workload features into training rows (Parquet)");
  join->add_option("--features", flags->features,
                   "Features Parquet (podpower encode output): a file, a glob "
                   "or a folder")
      ->required();
  join->add_option("--labels", flags->labels,
                   "Labels Parquet (podpower labels output): a file, a glob "
                   "or a hive-partitioned folder (date=YYYY-MM-DD/)")
      ->required();
  join->add_option("--out", flags->out, "Training rows Parquet to write")
      ->required();
  join->add_option("--layout", flags->layout,
                   "aggregated (one row per workload and spec, label means; "
                   "bounded memory) or wide (the original's row per label row)")
      ->capture_default_str();
  join->add_option("--memory-limit", flags->options.memory_limit,
                   "aggregated layout: DuckDB's memory limit; beyond it, it "
                   "spills to --spill-dir")
      ->capture_default_str();
  join->add_option("--spill-dir", flags->options.spill_dir,
                   "aggregated layout: spill folder (default: a hidden folder "
                   "beside --out, removed afterwards)");
  join->callback([flags] {
    flags->options.layout = join::ParseLayout(flags->layout, "--layout");
    const join::JoinStats stats = join::JoinFiles(
        flags->features, flags->labels, flags->out, flags->options, std::cerr);
    if (flags->options.layout == join::Layout::kWide) {
      std::cerr << "podpower: joined " << stats.joined_rows << " rows ("
                << stats.matched_keys << " of " << stats.label_keys
                << " labelled workloads have features) -> " << flags->out
                << "\n";
    } else {
      std::cerr << "podpower: joined " << stats.joined_rows
                << " label x feature rows (" << stats.matched_keys << " of "
                << stats.label_keys
                << " labelled workloads have features) into "
                << stats.output_rows << " rows per (workload, spec) -> "
                << flags->out << "\n";
    }
  });
});

}  // namespace
}  // namespace podpower::cli
