// podpower: predicts a Kubernetes workload's power draw from its spec. One
// subcommand per stage.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <exception>
#include <utility>

#include "cli/command.h"
#include "io/error.h"

namespace podpower::cli {
namespace {

std::vector<std::pair<int, std::function<void(CLI::App&)>>>& Registry() {
  static std::vector<std::pair<int, std::function<void(CLI::App&)>>> registry;
  return registry;
}

}  // namespace

CommandRegistration::CommandRegistration(int order,
                                         std::function<void(CLI::App&)> add) {
  Registry().emplace_back(order, std::move(add));
}

std::vector<std::function<void(CLI::App&)>> RegisteredCommands() {
  auto entries = Registry();
  std::stable_sort(
      entries.begin(), entries.end(),
      [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::function<void(CLI::App&)>> out;
  for (auto& e : entries) out.push_back(e.second);
  return out;
}

}  // namespace podpower::cli

int main(int argc, char** argv) {
  CLI::App app{
      "podpower: predicts how many watts a Kubernetes workload will draw, from "
      "its spec alone"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "podpower 0.1.0");
  for (const auto& add : podpower::cli::RegisteredCommands()) add(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const podpower::Error& e) {
    std::fprintf(stderr, "podpower: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "podpower: internal error: %s\n", e.what());
    return 2;
  }
  return 0;
}
