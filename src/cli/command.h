// How a subcommand joins the podpower binary.
//
// Each src/cli/<stage>_command.cc defines a static CommandRegistration whose
// function adds the subcommand, its flags and a callback to the CLI11 app.
// Callbacks only translate flags into a library call (the library function is
// what tests call); they throw podpower::Error on bad input, which main()
// prints as one line on stderr with exit status 1.
#ifndef PODPOWER_CLI_COMMAND_H_
#define PODPOWER_CLI_COMMAND_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace podpower::cli {

struct CommandRegistration {
  // `order` sets where the subcommand appears in --help (pipeline order:
  // collect 10, encode 20, labels 30, join 40, train 50, predict 60, evaluate
  // 70, serve 80, others 90).
  CommandRegistration(int order, std::function<void(CLI::App&)> add);
};

// All registrations, sorted by order.
std::vector<std::function<void(CLI::App&)>> RegisteredCommands();

// Run as a kubectl plugin (`kubectl podpower ...` executes a file named
// kubectl-podpower, often a symlink to podpower), main() names the app
// kKubectlPluginName; commands may then pick kubectl-like defaults (predict
// prints a table).
inline constexpr std::string_view kKubectlPluginName = "kubectl podpower";

// True when argv[0]'s file name is "kubectl-podpower".
bool InvokedAsKubectlPlugin(std::string_view argv0);

inline bool IsKubectlPlugin(const CLI::App& app) {
  return app.get_name() == kKubectlPluginName;
}

// The manual page (roff, man(7)) of `app` and all its subcommands, their
// --help texts under one heading each, with the version in its header.
std::string ManPage(const CLI::App& app);

}  // namespace podpower::cli

#endif  // PODPOWER_CLI_COMMAND_H_
