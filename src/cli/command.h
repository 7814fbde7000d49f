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

}  // namespace podpower::cli

#endif  // PODPOWER_CLI_COMMAND_H_
