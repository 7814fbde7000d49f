// podpower: predicts a Kubernetes workload's power draw from its spec. One
// subcommand per stage. Installed also as kubectl-podpower (a symlink), it is
// a kubectl plugin: `kubectl podpower predict ...`.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <exception>
#include <utility>

#include "cli/command.h"
#include "io/error.h"
#include "io/version.h"

namespace podpower::cli {
namespace {

std::vector<std::pair<int, std::function<void(CLI::App&)>>>& Registry() {
  static std::vector<std::pair<int, std::function<void(CLI::App&)>>> registry;
  return registry;
}

// Text for a roff no-fill block: backslashes escaped, and lines that would
// read as requests (a leading . or ') guarded.
std::string RoffText(const std::string& text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') {
      out += "\\e";
    } else {
      out += c;
    }
    line_start = c == '\n';
  }
  return out;
}

void AppendSubcommands(const CLI::App& app, const std::string& path,
                       std::string& out) {
  for (const CLI::App* sub : app.get_subcommands({})) {
    const std::string name = path + " " + sub->get_name();
    out += ".SS " + name + "\n.nf\n" + RoffText(sub->help(path)) + ".fi\n";
    AppendSubcommands(*sub, name, out);
  }
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

bool InvokedAsKubectlPlugin(std::string_view argv0) {
  const auto slash = argv0.rfind('/');
  if (slash != std::string_view::npos) argv0.remove_prefix(slash + 1);
  return argv0 == "kubectl-podpower";
}

std::string ManPage(const CLI::App& app) {
  std::string out = std::string(".TH PODPOWER 1 \"\" \"") + VersionLine() +
                    "\" \"User Commands\"\n";
  out +=
      ".SH NAME\npodpower, kubectl-podpower \\- predict how many watts a "
      "Kubernetes workload will draw, from its spec alone\n";
  out +=
      ".SH SYNOPSIS\n.B podpower\n\\fICOMMAND\\fR [\\fIOPTIONS\\fR]\n.br\n"
      ".B kubectl podpower predict\n\\fB\\-f\\fR \\fIFILE\\fR | "
      "\\fITYPE\\fR/\\fINAME\\fR [\\fB\\-n\\fR \\fINAMESPACE\\fR] "
      "[\\fB\\-\\-server\\fR \\fIURL\\fR]\n";
  out += ".SH DESCRIPTION\n.nf\n" + RoffText(app.help()) + ".fi\n";
  out +=
      ".SH KUBECTL PLUGIN\nInstalled as \\fBkubectl-podpower\\fR on PATH, "
      "podpower is a kubectl plugin: \\fBkubectl podpower predict\\fR reads "
      "manifests (\\fB\\-f\\fR) or live objects with the kubeconfig and "
      "context kubectl uses, and prints a table. \\fB\\-\\-server\\fR (or "
      "PODPOWER_SERVER) asks a running \\fBpodpower serve\\fR; otherwise "
      "\\fB\\-\\-encoder\\fR and \\fB\\-\\-model\\fR (or ENCODER_PATH and "
      "MODEL_PATH) name local artifacts.\n";
  out += ".SH COMMANDS\n";
  AppendSubcommands(app, app.get_name(), out);
  out += ".SH SEE ALSO\n\\fBkubectl\\fR(1)\n";
  return out;
}

}  // namespace podpower::cli

int main(int argc, char** argv) {
  const bool plugin =
      argc > 0 && podpower::cli::InvokedAsKubectlPlugin(argv[0]);
  CLI::App app{
      "podpower: predicts how many watts a Kubernetes workload will draw, from "
      "its spec alone"};
  app.name(plugin ? std::string(podpower::cli::kKubectlPluginName)
                  : std::string("podpower"));
  app.require_subcommand(1);
  app.set_version_flag("--version", podpower::VersionLine());
  // The manual page `make install` writes (hidden: an install-time tool).
  app.add_flag_callback(
         "--man",
         [&app] {
           std::fputs(podpower::cli::ManPage(app).c_str(), stdout);
           throw CLI::Success();
         },
         "Print the manual page (roff) and exit")
      ->group("");
  for (const auto& add : podpower::cli::RegisteredCommands()) add(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const podpower::Error& e) {
    std::fprintf(stderr, "%s: %s\n", app.get_name().c_str(), e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: internal error: %s\n", app.get_name().c_str(),
                 e.what());
    return 2;
  }
  return 0;
}
