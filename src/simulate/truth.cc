#include "simulate/truth.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <vector>

#include "io/error.h"

namespace podpower::simulate {
namespace {

std::vector<std::string> SplitCsv(const std::string& line) {
  // simulate writes Kubernetes names and numbers: no quoting, no commas inside.
  std::vector<std::string> fields;
  size_t begin = 0;
  while (true) {
    const size_t comma = line.find(',', begin);
    fields.push_back(line.substr(begin, comma - begin));
    if (comma == std::string::npos) return fields;
    begin = comma + 1;
  }
}

}  // namespace

std::map<WorkloadKey, WorkloadTruth> ReadWorkloadTruth(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open truth file");
  std::string line;
  if (!std::getline(in, line))
    throw Error(path + ":1: empty file, expected a truth_workloads.csv header");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const std::vector<std::string> header = SplitCsv(line);
  auto column = [&](const char* name) {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
    throw Error(fmt::format(
        "{}:1: missing column '{}' (truth_workloads.csv from podpower "
        "simulate expected)",
        path, name));
  };
  const size_t ns = column("namespace"), kind = column("workload_kind"),
               name = column("workload_name"), family = column("family"),
               pods = column("pods"), mean = column("mean_watts_per_pod"),
               oracle = column("oracle_watts_per_pod"),
               label = column("oracle_label_watts_per_pod");
  std::map<WorkloadKey, WorkloadTruth> out;
  for (size_t number = 2; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const std::vector<std::string> f = SplitCsv(line);
    if (f.size() != header.size())
      throw Error(fmt::format("{}:{}: expected {} fields, got {}", path, number,
                              header.size(), f.size()));
    auto number_of = [&](size_t i) {
      const char* text = f[i].c_str();
      char* end = nullptr;
      errno = 0;
      const double v = std::strtod(text, &end);
      if (f[i].empty() || *end != '\0' || errno != 0 || !std::isfinite(v))
        throw Error(fmt::format("{}:{}: {}: expected a finite number, got '{}'",
                                path, number, header[i], f[i]));
      return v;
    };
    WorkloadTruth t;
    t.family = f[family];
    const double pod_count = number_of(pods);
    if (!(pod_count >= 1 && pod_count <= 1e9) ||
        pod_count != std::floor(pod_count))
      throw Error(
          fmt::format("{}:{}: pods: expected a positive integer, got "
                      "'{}'",
                      path, number, f[pods]));
    t.pods = static_cast<int>(pod_count);
    t.mean_watts_per_pod = number_of(mean);
    t.oracle_watts_per_pod = number_of(oracle);
    t.oracle_label_watts_per_pod = number_of(label);
    if (!out.emplace(WorkloadKey{f[ns], f[kind], f[name]}, t).second)
      throw Error(fmt::format("{}:{}: workload {}/{}/{} listed twice", path,
                              number, f[ns], f[kind], f[name]));
  }
  return out;
}

}  // namespace podpower::simulate
