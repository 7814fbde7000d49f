#include "labels/labels.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_set>

#include "io/error.h"
#include "io/parquet.h"
#include "io/progress.h"
#include "labels/energy_steps.h"
#include "labels/kube_owners.h"
#include "labels/prefetch.h"
#include "labels/row_order.h"
#include "labels/window_writer.h"
#include "prom/time_range.h"

namespace podpower::labels {
namespace {

// Length of the first request, before the number of series is known.
constexpr double kFirstChunkSeconds = 3600;
// kube-state-metrics owner series are read in windows of at most this many
// seconds.
constexpr double kOwnerWindow = 86400;
// Prometheus' default lookback: a counter sample is visible this long after it
// was taken.
constexpr double kLookback = 300;

// numpy.percentile's default (linear interpolation between closest ranks).
double Percentile(std::vector<float> values, double q) {
  if (values.empty()) return std::nan("");
  std::sort(values.begin(), values.end());
  double pos = q / 100.0 * static_cast<double>(values.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, values.size() - 1);
  double frac = pos - static_cast<double>(lo);
  return static_cast<double>(values[lo]) +
         (static_cast<double>(values[hi]) - static_cast<double>(values[lo])) *
             frac;
}

// Per-pod accumulation for job mode.
struct JobStats {
  double first_seen = 0;
  bool seen = false;
  double last_present = 0;
  double last_positive = -1;
  double energy = 0;
  double elapsed_to_last_positive = 0;
  double elapsed = 0;
  int64_t steps = 0;
  int64_t steps_to_last_positive = 0;
  std::vector<float> powers;  // per counted step, W
  size_t powers_to_last_positive = 0;
};

}  // namespace

size_t LoadPromOwners(const prom::Client& client, double start, double end,
                      const std::vector<std::string>& /*namespaces*/,
                      OwnerIndex* index) {
  // Without honor_labels the scrape target's namespace/pod override
  // kube-state-metrics' own, which then appear as exported_namespace /
  // exported_pod.
  auto ns_of = [](const prom::Series& s) -> const std::string& {
    const std::string& exported = s.Label("exported_namespace");
    return exported.empty() ? s.Label("namespace") : exported;
  };
  size_t pod_series = 0;
  const double from = start - kLookback;
  for (double piece_end = end;; piece_end -= kOwnerWindow) {
    const double piece_start = std::max(from, piece_end - kOwnerWindow);
    std::string range = "[";
    range += prom::FormatDuration(std::max(1.0, piece_end - piece_start));
    range += ']';
    auto pods = client.Instant(
        "max by (namespace, exported_namespace, pod, exported_pod, uid, "
        "owner_kind, owner_name) "
        "(max_over_time(kube_pod_owner{owner_is_controller!=\"false\"}" +
            range + "))",
        piece_end);
    for (const auto& s : pods.series) {
      const std::string& exported_pod = s.Label("exported_pod");
      index->AddPodOwner(
          ns_of(s), exported_pod.empty() ? s.Label("pod") : exported_pod,
          s.Label("uid"), s.Label("owner_kind"), s.Label("owner_name"));
    }
    pod_series += pods.series.size();
    auto replicasets = client.Instant(
        "max by (namespace, exported_namespace, replicaset, owner_kind, "
        "owner_name) "
        "(max_over_time(kube_replicaset_owner{owner_is_controller!=\"false\"}" +
            range + "))",
        piece_end);
    for (const auto& s : replicasets.series) {
      index->AddReplicaSetOwner(ns_of(s), s.Label("replicaset"),
                                s.Label("owner_kind"), s.Label("owner_name"));
    }
    auto jobs = client.Instant(
        "max by (namespace, exported_namespace, job_name, owner_kind, "
        "owner_name) "
        "(max_over_time(kube_job_owner{owner_is_controller!=\"false\"}" +
            range + "))",
        piece_end);
    for (const auto& s : jobs.series) {
      index->AddJobOwner(ns_of(s), s.Label("job_name"), s.Label("owner_kind"),
                         s.Label("owner_name"));
    }
    if (piece_start <= from) break;
  }
  return pod_series;
}

namespace {

// <folder>/date=<day>/labels.parquet, its folder created when missing.
std::string DayFile(const std::filesystem::path& folder,
                    const std::string& day) {
  const std::filesystem::path dir = folder / ("date=" + day);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    throw Error(dir.string() + ": cannot create output: " + ec.message());
  }
  return (dir / "labels.parquet").string();
}

// The rows of `table` whose index is in `rows`, in that order.
io::Table RowsOf(const io::Table& table, const std::vector<size_t>& rows) {
  io::Table out;
  for (const io::Column& c : table.columns()) out.AddColumn(c.name, c.type);
  for (size_t k = 0; k < table.columns().size(); ++k)
    out.columns()[k].AppendRows(table.columns()[k], rows);
  return out;
}

// Where window-mode rows go: an in-memory table (BuildLabels) or a
// WindowWriter (RunLabels). Every pod is given once, before the first row
// (Start); rows name a pod by its index there.
class WindowSink {
 public:
  virtual ~WindowSink() = default;
  // `active`: the pods with rows in the first piece (window_writer.h's
  // active_pods).
  virtual void Start(const std::vector<WindowPod>& pods,
                     const std::vector<uint32_t>& active) = 0;
  virtual void Add(double ts, uint32_t pod, std::optional<double> avg_power_w,
                   std::optional<double> energy_step_j) = 0;
  virtual int64_t rows() const = 0;
};

WindowPod StringsOf(const PodId& pod, const Workload& w) {
  return WindowPod{pod.namespace_, w.kind, w.name, pod.pod, w.source};
}

class TableSink : public WindowSink {
 public:
  TableSink() {
    using T = io::ColumnType;
    for (const auto& [name, type] :
         std::vector<std::pair<const char*, T>>{{"ts", T::kDouble},
                                                {"namespace", T::kString},
                                                {"workload_kind", T::kString},
                                                {"workload_name", T::kString},
                                                {"pod", T::kString},
                                                {"avg_power_w", T::kDouble},
                                                {"energy_step_j", T::kDouble},
                                                {"owner_source", T::kString}}) {
      table_.AddColumn(name, type);
    }
  }
  void Start(const std::vector<WindowPod>& pods,
             const std::vector<uint32_t>&) override {
    pods_ = pods;
  }
  void Add(double ts, uint32_t pod, std::optional<double> avg_power_w,
           std::optional<double> energy_step_j) override {
    const WindowPod& p = pods_.at(pod);
    auto& c = table_.columns();
    c[0].AppendDouble(ts);
    c[1].AppendString(p.namespace_);
    c[2].AppendString(p.workload_kind);
    c[3].AppendString(p.workload_name);
    c[4].AppendString(p.pod);
    c[5].AppendDouble(avg_power_w);
    c[6].AppendDouble(energy_step_j);
    c[7].AppendString(p.owner_source);
  }
  int64_t rows() const override { return static_cast<int64_t>(table_.rows()); }
  io::Table Take() { return std::move(table_); }

 private:
  io::Table table_;
  std::vector<WindowPod> pods_;
};

// Opens the writer (and so starts its COPY) once the pods are known.
class WriterSink : public WindowSink {
 public:
  explicit WriterSink(std::string target) : target_(std::move(target)) {}
  void Start(const std::vector<WindowPod>& pods,
             const std::vector<uint32_t>& active) override {
    WindowWriterOptions options;
    options.active_pods = active;
    writer_.emplace(target_, pods, options);
  }
  void Add(double ts, uint32_t pod, std::optional<double> avg_power_w,
           std::optional<double> energy_step_j) override {
    writer_->Add(ts, pod, avg_power_w, energy_step_j);
  }
  int64_t rows() const override { return writer_ ? writer_->rows() : 0; }
  void Commit() {
    if (!writer_)
      throw Error("labels: the writer never got the pods (internal)");
    writer_->Commit();
  }

 private:
  std::string target_;
  std::optional<WindowWriter> writer_;
};

// Folder output: one WindowWriter per UTC day, one open at a time. Rows
// arrive in ts order, so a day is done when the next one starts: its writer
// is finished (the file complete under its temporary name, DuckDB freed) and
// kept until Commit renames every day's file.
class PartitionSink : public WindowSink {
 public:
  explicit PartitionSink(std::filesystem::path folder)
      : folder_(std::move(folder)) {}
  void Start(const std::vector<WindowPod>& pods,
             const std::vector<uint32_t>& active) override {
    pods_ = pods;
    // Only the ENUM-or-VARCHAR choice depends on it (file size, not
    // contents); the first day's start stands for every day's.
    options_.active_pods = active;
  }
  void Add(double ts, uint32_t pod, std::optional<double> avg_power_w,
           std::optional<double> energy_step_j) override {
    const int64_t day = static_cast<int64_t>(std::floor(ts / 86400));
    if (!current_ || day != day_) Open(day);
    current_->Add(ts, pod, avg_power_w, energy_step_j);
  }
  int64_t rows() const override {
    return done_rows_ + (current_ ? current_->rows() : 0);
  }
  // Renames every day's file into place; returns the days, ascending.
  std::vector<std::string> Commit() {
    Close();
    for (auto& writer : done_) writer->Commit();
    done_.clear();
    return days_;
  }

 private:
  void Close() {
    if (!current_) return;
    current_->Finish();
    done_rows_ += current_->rows();
    done_.push_back(std::move(current_));
  }
  void Open(int64_t day) {
    if (current_ && day < day_)
      throw Error("labels: rows out of time order (internal)");
    Close();
    day_ = day;
    days_.push_back(UtcDay(static_cast<double>(day) * 86400));
    current_ = std::make_unique<WindowWriter>(DayFile(folder_, days_.back()),
                                              pods_, options_);
  }

  std::filesystem::path folder_;
  std::vector<WindowPod> pods_;
  WindowWriterOptions options_;
  std::unique_ptr<WindowWriter> current_;
  int64_t day_ = 0;
  int64_t done_rows_ = 0;
  std::vector<std::unique_ptr<WindowWriter>> done_;
  std::vector<std::string> days_;
};

// Every pod with an energy counter series in [from, end], the range the
// energy pieces cover, as EnergySteps will key them (SeriesRefOf, so Kepler's
// pseudo-containers are left out the same way), sorted. /api/v1/series reads
// only Prometheus' index: cheap however many samples the range holds, and no
// sample limit to run into. It may name a few series from the edges of the
// range, which only adds pods without rows.
std::vector<PodId> ListPods(const prom::Client& client,
                            const std::string& selector, KeplerSchema schema,
                            double from, double end) {
  std::set<PodId> pods;
  for (const auto& s : client.SeriesOf(selector, from, end)) {
    if (auto ref = SeriesRefOf(schema, s)) pods.insert(std::move(ref->pod));
  }
  return std::vector<PodId>(pods.begin(), pods.end());
}

// One fetched piece of raw samples.
struct Piece {
  double start = 0;
  double end = 0;
  prom::QueryResult result;
};

// The work of BuildLabels and RunLabels. Window-mode rows go to `window`
// (required in window mode); job mode returns its table.
io::Table ProduceLabels(const LabelsOptions& options, LabelsSummary* summary,
                        WindowSink* window) {
  if (options.step <= 0) throw Error("--step: expected a positive duration");
  if (options.end < options.start)
    throw Error("--end: must not be before --start");
  LabelsSummary local;
  LabelsSummary& sum = summary ? *summary : local;
  prom::Client client(options.prom);

  EnergySelection selection;
  selection.schema =
      options.schema == KeplerSchema::kAuto
          ? DetectSchema(client, options.start - kLookback, options.end)
          : options.schema;
  selection.zone = options.zone;
  selection.mode = options.power_mode;
  selection.namespaces = options.namespaces;
  sum.schema = selection.schema;
  const std::string selector = EnergySelector(selection);

  OwnerIndex owners;
  if (options.owner_source == OwnerSource::kAuto ||
      options.owner_source == OwnerSource::kProm) {
    LoadPromOwners(client, options.start, options.end, options.namespaces,
                   &owners);
  }
  if (!options.pod_owners_file.empty())
    LoadPodOwners(options.pod_owners_file, &owners);
  // The API server: always for "k8s" without a file, and under "auto" when
  // the user named a cluster (an implicit ~/.kube/config may point anywhere).
  const bool named_cluster =
      !options.kube.kubeconfig.empty() || !options.kube.context.empty();
  if ((options.owner_source == OwnerSource::kK8s &&
       options.pod_owners_file.empty()) ||
      (named_cluster && (options.owner_source == OwnerSource::kK8s ||
                         options.owner_source == OwnerSource::kAuto))) {
    LoadApiPodOwners(options.kube, options.namespaces, &owners);
  }

  std::unordered_set<std::string> pseudo;
  const KeplerSchema schema = selection.schema;
  EnergySteps steps(options.start, options.step, options.max_pod_watts,
                    [&](const prom::Series& s) -> std::optional<SeriesRef> {
                      auto ref = SeriesRefOf(schema, s);
                      if (!ref) {
                        std::string key;
                        for (const auto& [k, v] : s.labels)
                          key += k + "=" + v + ",";
                        pseudo.insert(key);
                      }
                      return ref;
                    });

  const bool window_mode = options.mode == OutputMode::kWindow;
  if (window_mode && window == nullptr)
    throw Error("labels: window mode without a row sink");
  struct PodInfo {
    Workload workload;
    uint32_t number = 0;  // the window sink's pod number
  };
  // Window mode: every pod, numbered in PodId order, given to the sink with
  // the first piece's rows (the writer builds its string columns from them
  // and from which pods are active at the start).
  std::map<PodId, PodInfo> listed;
  std::vector<WindowPod> strings;
  bool started = false;
  if (window_mode) {
    std::vector<PodId> pods = ListPods(client, selector, schema,
                                       options.start - kLookback, options.end);
    if (options.on_pods_listed) options.on_pods_listed(&pods);
    strings.reserve(pods.size());
    for (const PodId& pod : pods) {
      PodInfo info;
      info.workload = owners.Resolve(pod.namespace_, pod.pod, pod.uid,
                                     options.owner_source);
      info.number = static_cast<uint32_t>(strings.size());
      strings.push_back(StringsOf(pod, info.workload));
      listed.emplace(pod, std::move(info));
    }
  }
  // Pods with rows; counted (pods, owner sources) when their first row comes.
  std::map<PodId, PodInfo> workloads;
  std::set<PodId> late;
  // nullptr for a late pod (window mode: not listed up front).
  auto info_of = [&](const PodId& pod) -> const PodInfo* {
    auto it = workloads.find(pod);
    if (it == workloads.end()) {
      PodInfo info;
      if (window_mode) {
        auto l = listed.find(pod);
        if (l == listed.end()) return nullptr;
        info = l->second;
      } else {
        info.workload = owners.Resolve(pod.namespace_, pod.pod, pod.uid,
                                       options.owner_source);
      }
      it = workloads.emplace(pod, std::move(info)).first;
      ++sum.owner_sources[it->second.workload.source];
    }
    return &it->second;
  };

  std::map<PodId, JobStats> jobs;
  std::vector<const std::vector<PodStep>*> lists;
  std::vector<uint32_t> numbers;
  auto consume = [&](const std::map<PodId, std::vector<PodStep>>& finished) {
    if (window_mode) {
      // Rows ordered by time, then namespace and pod, as the original wrote
      // them. `finished` is sorted by pod, so a pod's rank orders pods.
      lists.clear();
      numbers.clear();
      for (const auto& [pod, list] : finished) {
        const PodInfo* info = info_of(pod);
        if (info == nullptr) {
          // A late pod: its samples came after the listing (at most a step
          // or two at the very end); the writer has no strings for it.
          late.insert(pod);
          sum.late_rows_dropped += static_cast<int64_t>(list.size());
          continue;
        }
        lists.push_back(&list);
        numbers.push_back(info->number);
      }
      if (!started) {
        window->Start(strings, numbers);
        started = true;
      }
      EmitInOrder(lists, options.step, [&](uint32_t rank, const PodStep& st) {
        window->Add(st.ts, numbers[rank],
                    st.energy_j && st.covered_s > 0
                        ? std::optional<double>(*st.energy_j / st.covered_s)
                        : std::nullopt,
                    st.energy_j);
      });
      return;
    }
    for (const auto& [pod, list] : finished) {
      JobStats& j = jobs[pod];
      for (const auto& st : list) {
        if (!j.seen) {
          j.seen = true;
          j.first_seen = st.ts;
        }
        j.last_present = st.ts;
        if (!st.energy_j || st.covered_s <= 0) continue;
        j.energy += *st.energy_j;
        j.elapsed += st.covered_s;
        j.steps += 1;
        j.powers.push_back(static_cast<float>(*st.energy_j / st.covered_s));
        if (*st.energy_j > 0) {
          j.last_positive = st.ts;
          j.elapsed_to_last_positive = j.elapsed;
          j.steps_to_last_positive = j.steps;
          j.powers_to_last_positive = j.powers.size();
        }
      }
    }
  };

  // The next piece is fetched and parsed on a background thread while this
  // one turns the current piece into rows, so the run takes about as long as
  // the slower of Prometheus and podpower instead of their sum. Pieces are
  // sized from the sample rate seen so far (in the fetching thread, which
  // alone uses it), so one response stays near max_samples_per_chunk samples
  // whatever the number of pods; the requests are the same as without
  // prefetching.
  double samples_per_second = 0;
  Prefetcher<Piece> pieces(0, [&](const Prefetcher<Piece>::Push& push) {
    prom::SamplesChunked(
        client, selector, options.start - kLookback, options.start, options.end,
        options.step,
        [&]() -> double {
          if (samples_per_second <= 0) return kFirstChunkSeconds;
          return static_cast<double>(options.max_samples_per_chunk) /
                 samples_per_second;
        },
        [&](double piece_start, double piece_end, prom::QueryResult&& result) {
          if (result.result_type != "matrix") {
            throw Error("prometheus query " + selector +
                        ": expected a matrix result, got '" +
                        result.result_type + "'");
          }
          size_t samples = 0;
          for (const auto& s : result.series) samples += s.samples.size();
          if (piece_end > piece_start && samples > 0) {
            samples_per_second =
                std::max(samples_per_second, static_cast<double>(samples) /
                                                 (piece_end - piece_start));
          }
          push(Piece{piece_start, piece_end, std::move(result)});
        });
  });

  const int64_t total_points =
      prom::GridPoints(options.start, options.end, options.step);
  io::Progress progress("labels: query steps",
                        static_cast<uint64_t>(total_points));
  double progressed_to = options.start;
  while (std::optional<Piece> piece = pieces.Next()) {
    const double piece_end = piece->end;
    steps.AddChunk(piece->result.series);
    piece.reset();  // the raw samples are no longer needed
    consume(steps.TakeSteps());
    ++sum.chunks;
    if (piece_end > progressed_to) {
      progress.Advance(static_cast<uint64_t>(
          prom::GridPoints(progressed_to, piece_end, options.step) - 1));
      progressed_to = piece_end;
    }
  }
  // No piece at all (an empty range): the writer still needs its columns.
  if (window_mode && !started) window->Start(strings, {});

  io::Table table;
  if (!window_mode) {
    using T = io::ColumnType;
    for (const auto& [name, type] :
         std::vector<std::pair<const char*, T>>{{"namespace", T::kString},
                                                {"workload_kind", T::kString},
                                                {"workload_name", T::kString},
                                                {"pod", T::kString},
                                                {"avg_power_w", T::kDouble},
                                                {"p95_power_w", T::kDouble},
                                                {"total_energy_j", T::kDouble},
                                                {"first_seen", T::kDouble},
                                                {"last_seen", T::kDouble},
                                                {"samples", T::kInt64},
                                                {"owner_source", T::kString}}) {
      table.AddColumn(name, type);
    }
    auto& c = table.columns();
    for (auto& [pod, j] : jobs) {
      const Workload& w = info_of(pod)->workload;
      // A finished pod's counter stays visible, flat, for a while (lookback,
      // Kepler keeping dead containers); those trailing zero steps are not part
      // of its run.
      const bool any_positive = j.last_positive >= 0;
      const double elapsed =
          any_positive ? j.elapsed_to_last_positive : j.elapsed;
      const int64_t counted = any_positive ? j.steps_to_last_positive : j.steps;
      j.powers.resize(any_positive ? j.powers_to_last_positive
                                   : j.powers.size());
      c[0].AppendString(pod.namespace_);
      c[1].AppendString(w.kind);
      c[2].AppendString(w.name);
      c[3].AppendString(pod.pod);
      c[4].AppendDouble(elapsed > 0 ? std::optional<double>(j.energy / elapsed)
                                    : std::nullopt);
      c[5].AppendDouble(j.powers.empty()
                            ? std::nullopt
                            : std::optional<double>(Percentile(j.powers, 95)));
      c[6].AppendDouble(counted > 0 ? std::optional<double>(j.energy)
                                    : std::nullopt);
      c[7].AppendDouble(j.first_seen);
      c[8].AppendDouble(any_positive ? j.last_positive : j.last_present);
      c[9].AppendInt64(counted);
      c[10].AppendString(w.source);
    }
  }

  sum.rows = window_mode ? window->rows() : static_cast<int64_t>(table.rows());
  sum.pods = static_cast<int64_t>(workloads.size());
  sum.series = steps.counts().counters;
  sum.spikes_dropped = steps.counts().spikes_dropped;
  sum.counter_resets = steps.counts().resets;
  sum.pseudo_series_dropped = static_cast<int64_t>(pseudo.size());
  sum.late_pods = static_cast<int64_t>(late.size());
  return table;
}

}  // namespace

io::Table BuildLabels(const LabelsOptions& options, LabelsSummary* summary) {
  if (options.mode != OutputMode::kWindow) {
    return ProduceLabels(options, summary, nullptr);
  }
  TableSink sink;
  ProduceLabels(options, summary, &sink);
  return sink.Take();
}

bool IsPartitionFolder(const std::string& out) {
  return (!out.empty() && out.back() == '/') ||
         std::filesystem::is_directory(out);
}

std::string UtcDay(double ts) {
  using namespace std::chrono;
  const sys_days day{days{static_cast<int64_t>(std::floor(ts / 86400))}};
  const year_month_day ymd{day};
  char text[32];
  std::snprintf(
      text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return text;
}

LabelsSummary RunLabels(const LabelsOptions& options) {
  if (options.out.empty()) {
    throw Error("--out: expected an output Parquet path");
  }
  const bool folder = IsPartitionFolder(options.out);
  std::filesystem::path target = std::filesystem::absolute(options.out);
  if (folder) {
    // "DIR/" -> "DIR": stat("file/") fails with ENOTDIR, so the check below
    // must look at the name without the slash.
    target = target.lexically_normal();
    if (!target.has_filename()) target = target.parent_path();
    std::error_code ec;
    if (std::filesystem::exists(target, ec) &&
        !std::filesystem::is_directory(target, ec)) {
      throw Error(options.out +
                  ": cannot create output: expected a folder (the path ends "
                  "with '/'), found a file");
    }
  }
  // Fail before minutes of queries, not after.
  const std::filesystem::path parent = target.parent_path();
  if (!std::filesystem::is_directory(parent)) {
    throw Error(options.out + ": cannot create output: folder " +
                parent.string() + " does not exist");
  }
  if (folder) {
    std::error_code ec;
    std::filesystem::create_directory(target, ec);
    if (ec) {
      throw Error(options.out + ": cannot create output: " + ec.message());
    }
  }
  LabelsSummary summary;
  if (options.mode == OutputMode::kWindow) {
    if (folder) {
      PartitionSink sink(target);
      ProduceLabels(options, &summary, &sink);
      summary.partitions = sink.Commit();
    } else {
      WriterSink sink(options.out);
      ProduceLabels(options, &summary, &sink);
      sink.Commit();
    }
  } else {
    io::Table table = ProduceLabels(options, &summary, nullptr);
    if (!folder) {
      io::WriteParquet(table, options.out);
      return summary;
    }
    // Job mode: a pod's row goes to the day of its first_seen (when it
    // started, within the window).
    std::map<std::string, std::vector<size_t>> days;
    const io::Column& first =
        table.Require("first_seen", io::ColumnType::kDouble);
    for (size_t r = 0; r < table.rows(); ++r) {
      days[UtcDay(first.doubles[r])].push_back(r);
    }
    for (const auto& [day, rows] : days) {
      io::WriteParquet(RowsOf(table, rows), DayFile(target, day));
      summary.partitions.push_back(day);
    }
  }
  return summary;
}

}  // namespace podpower::labels
