#include "labels/window_writer.h"

#include <duckdb.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <limits>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "io/atomic_file.h"
#include "io/error.h"
#include "io/parquet.h"

namespace podpower::labels {
namespace {

// Output columns, in order; the pod strings are ENUM or VARCHAR, the rest
// DOUBLE.
constexpr size_t kColumns = 8;
constexpr const char* kColumnNames[kColumns] = {
    "ts",  "namespace",   "workload_kind", "workload_name",
    "pod", "avg_power_w", "energy_step_j", "owner_source"};
constexpr size_t kTs = 0, kPower = 5, kEnergy = 6;
// The columns of WindowPod's five strings, in WindowPod's order.
constexpr size_t kStringColumns[] = {1, 2, 3, 4, 7};
constexpr size_t kPodStrings = std::size(kStringColumns);

// The chunks Add() fills: ts, pod number, avg_power_w, energy_step_j.
constexpr size_t kInColumns = 4;
constexpr size_t kInTs = 0, kInPod = 1, kInPower = 2, kInEnergy = 3;

// DuckDB's default Parquet row group, spelled out so the layout (and the ENUM
// rule's arithmetic) does not change with DuckDB's default.
constexpr int64_t kRowGroupRows = 122880;

// Full chunks waiting for the COPY: enough to ride out the producer's bursts
// (a piece's rows come at once), few enough to stay at about a megabyte.
constexpr size_t kQueuedChunks = 8;

// A DuckDB string that points at `text` (or holds it, when short), so a
// cell's string is a 16-byte copy instead of a string copy. `text` must outlive
// every chunk holding it: the writer keeps it until the COPY has ended.
duckdb_string_t StringRef(std::string_view text) {
  duckdb_string_t s;
  std::memset(&s, 0, sizeof(s));  // DuckDB compares inlined strings bytewise
  s.value.inlined.length = static_cast<uint32_t>(text.size());
  if (text.size() <= sizeof(s.value.inlined.inlined)) {
    if (!text.empty()) {
      std::memcpy(s.value.inlined.inlined, text.data(), text.size());
    }
  } else {
    std::memcpy(s.value.pointer.prefix, text.data(),
                sizeof(s.value.pointer.prefix));
    s.value.pointer.ptr = const_cast<char*>(text.data());
  }
  return s;
}

template <typename Code>
void FillCodes(const std::vector<uint32_t>& of_pod, const uint32_t* pods,
               idx_t n, void* out) {
  auto* codes = static_cast<Code*>(out);
  const uint32_t* code = of_pod.data();
  for (idx_t i = 0; i < n; ++i) codes[i] = static_cast<Code>(code[pods[i]]);
}

}  // namespace

// DuckDB handles, the pods' strings, and the queue between the caller's
// thread (Add/Flush fill and push chunks) and the COPY's thread (podpower_rows
// pops them). The COPY's first error is kept and thrown by the caller's next
// Add(), Flush() or Commit(). Everything is released in ~Db after the thread
// joined.
struct WindowWriter::Db {
  std::optional<io::AtomicFile> file;  // destroyed last: removes the tmp file
  duckdb_database db = nullptr;
  duckdb_connection con = nullptr;
  duckdb_logical_type out_types[kColumns] = {};
  duckdb_logical_type in_types[kInColumns] = {};

  // One string column: DUCKDB_TYPE_VARCHAR, or the ENUM's storage type and
  // each pod's code; `strings` holds each pod's DuckDB string (VARCHAR only).
  struct StringColumn {
    duckdb_type internal = DUCKDB_TYPE_VARCHAR;
    std::vector<uint32_t> codes;
    std::vector<duckdb_string_t> strings;
  };
  std::array<StringColumn, kPodStrings> columns;
  // Each distinct VARCHAR value once, at a stable address (a deque never moves
  // its elements); `strings` point into it.
  std::deque<std::string> text;
  size_t pods = 0;

  // The chunk Add() is filling (caller's thread only).
  duckdb_data_chunk chunk = nullptr;
  idx_t fill = 0;
  idx_t capacity = 0;
  double* ts = nullptr;
  uint32_t* pod = nullptr;
  double* power = nullptr;
  double* energy = nullptr;
  uint64_t* power_valid = nullptr;
  uint64_t* energy_valid = nullptr;

  std::mutex mu;
  std::condition_variable cv;
  std::deque<duckdb_data_chunk> queue;
  bool closing = false;  // no more chunks: the scan ends when queue is empty
  bool aborted = false;  // the writer is being destroyed: the scan fails
  bool copy_done = false;
  std::string copy_error;
  // copy_done without the lock, for Add()'s per-row check.
  std::atomic<bool> copy_ended{false};
  bool finished = false;   // Finish ran (caller's thread only)
  bool complete = false;   // Finish succeeded (caller's thread only)
  bool committed = false;  // Commit ran (caller's thread only)
  std::thread copying;

  ~Db() {
    {
      std::lock_guard<std::mutex> lock(mu);
      closing = true;
      aborted = true;
    }
    cv.notify_all();
    if (copying.joinable()) copying.join();
    Release();
  }

  // Frees DuckDB and the pods' strings once the COPY's thread has ended
  // (Finish, ~Db); the temporary file stays until `file` goes. Idempotent.
  void Release() {
    for (duckdb_data_chunk& c : queue) duckdb_destroy_data_chunk(&c);
    queue.clear();
    if (chunk != nullptr) duckdb_destroy_data_chunk(&chunk);
    chunk = nullptr;
    for (auto& t : out_types) {
      if (t != nullptr) duckdb_destroy_logical_type(&t);
      t = nullptr;
    }
    for (auto& t : in_types) {
      if (t != nullptr) duckdb_destroy_logical_type(&t);
      t = nullptr;
    }
    if (con != nullptr) duckdb_disconnect(&con);
    if (db != nullptr) duckdb_close(&db);
    con = nullptr;
    db = nullptr;
    for (auto& c : columns) {
      c.codes = {};
      c.strings = {};
    }
    text = {};
  }

  // Runs `sql`; returns DuckDB's error ("" on success).
  std::string Run(const std::string& sql) {
    duckdb_result result;
    std::string error;
    if (duckdb_query(con, sql.c_str(), &result) == DuckDBError) {
      const char* reason = duckdb_result_error(&result);
      error = reason && *reason ? reason : "unknown DuckDB error";
    }
    duckdb_destroy_result(&result);
    return error;
  }

  void StartCopy(const std::string& sql) {
    copying = std::thread([this, sql] {
      std::string error = Run(sql);
      std::lock_guard<std::mutex> lock(mu);
      if (error.empty() && !closing) error = "the COPY ended early";
      copy_error = error;
      copy_done = true;
      copy_ended.store(true, std::memory_order_release);
      cv.notify_all();
    });
  }

  // Hands a filled chunk to the COPY; waits while the queue is full. Returns
  // the COPY's error ("" when none).
  std::string Push(duckdb_data_chunk filled) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [this] { return queue.size() < kQueuedChunks || copy_done; });
    if (copy_done) {
      duckdb_destroy_data_chunk(&filled);
      return copy_error.empty() ? "the COPY ended early" : copy_error;
    }
    queue.push_back(filled);
    cv.notify_all();
    return "";
  }

  // The COPY's error, once it has ended ("" while it runs or after success).
  std::string Ended() {
    if (!copy_ended.load(std::memory_order_acquire)) return "";
    std::lock_guard<std::mutex> lock(mu);
    return copy_error.empty() ? "the COPY ended early" : copy_error;
  }

  // podpower_rows(): the next chunk, in order, into `output`: the doubles by
  // reference (no copy), the pod strings from the pod numbers. An empty
  // output ends the scan, an error ends the COPY.
  static void Scan(duckdb_function_info info, duckdb_data_chunk output) {
    Db& d = *static_cast<Db*>(duckdb_function_get_extra_info(info));
    duckdb_data_chunk next = nullptr;
    {
      std::unique_lock<std::mutex> lock(d.mu);
      d.cv.wait(lock, [&d] { return !d.queue.empty() || d.closing; });
      if (d.aborted) {
        duckdb_function_set_error(info, "writer closed without Commit");
        return;
      }
      if (d.queue.empty()) {  // closing: every row has been handed over
        duckdb_data_chunk_set_size(output, 0);
        return;
      }
      next = d.queue.front();
      d.queue.pop_front();
    }
    d.cv.notify_all();
    auto out = [&](size_t c) {
      return duckdb_data_chunk_get_vector(output, c);
    };
    auto in = [&](size_t c) { return duckdb_data_chunk_get_vector(next, c); };
    duckdb_vector_reference_vector(out(kTs), in(kInTs));
    duckdb_vector_reference_vector(out(kPower), in(kInPower));
    duckdb_vector_reference_vector(out(kEnergy), in(kInEnergy));
    const idx_t n = duckdb_data_chunk_get_size(next);
    const auto* pods =
        static_cast<const uint32_t*>(duckdb_vector_get_data(in(kInPod)));
    for (size_t k = 0; k < kPodStrings; ++k) {
      const StringColumn& col = d.columns[k];
      void* data = duckdb_vector_get_data(out(kStringColumns[k]));
      switch (col.internal) {
        case DUCKDB_TYPE_UTINYINT:
          FillCodes<uint8_t>(col.codes, pods, n, data);
          break;
        case DUCKDB_TYPE_USMALLINT:
          FillCodes<uint16_t>(col.codes, pods, n, data);
          break;
        case DUCKDB_TYPE_UINTEGER:
          FillCodes<uint32_t>(col.codes, pods, n, data);
          break;
        default: {
          auto* cells = static_cast<duckdb_string_t*>(data);
          const duckdb_string_t* of_pod = col.strings.data();
          for (idx_t i = 0; i < n; ++i) cells[i] = of_pod[pods[i]];
          break;
        }
      }
    }
    duckdb_data_chunk_set_size(output, n);
    duckdb_destroy_data_chunk(&next);  // `output` shares the doubles' buffers
  }

  static void Bind(duckdb_bind_info info) {
    Db& d = *static_cast<Db*>(duckdb_bind_get_extra_info(info));
    for (size_t c = 0; c < kColumns; ++c) {
      duckdb_bind_add_result_column(info, kColumnNames[c], d.out_types[c]);
    }
  }

  // One scanning thread: DuckDB keeps a single-threaded scan's order.
  static void Init(duckdb_init_info info) {
    duckdb_init_set_max_threads(info, 1);
  }
};

void WindowWriter::Fail(const std::string& what) const {
  throw Error(target_ + ": cannot write Parquet: " + OneLine(what));
}

WindowWriter::WindowWriter(std::string target,
                           const std::vector<WindowPod>& pods,
                           WindowWriterOptions options)
    : target_(std::move(target)), db_(std::make_unique<Db>()) {
  // On a throw below, db_ is destroyed as a member: ~Db joins, closes DuckDB
  // and removes the temporary file.
  Db& d = *db_;
  if (pods.size() > std::numeric_limits<uint32_t>::max()) Fail("too many pods");
  d.file.emplace(target_);  // "cannot create output" when it cannot be made

  duckdb_config config = nullptr;
  if (duckdb_create_config(&config) == DuckDBError)
    Fail("cannot configure DuckDB");
  // Offline (parquet is linked in); one thread, the writer's own; memory
  // bounded and no spilling (an empty temp_directory): the streaming COPY
  // holds about one row group, so a spill would mean a bug, not a big run.
  duckdb_set_config(config, "autoinstall_known_extensions", "false");
  duckdb_set_config(config, "autoload_known_extensions", "false");
  duckdb_set_config(config, "threads", "1");
  duckdb_set_config(config, "preserve_insertion_order", "true");
  duckdb_set_config(config, "memory_limit", options.memory_limit.c_str());
  duckdb_set_config(config, "temp_directory", "");
  char* open_error = nullptr;
  const duckdb_state state =
      duckdb_open_ext(nullptr, &d.db, config, &open_error);
  duckdb_destroy_config(&config);
  if (state == DuckDBError) {
    std::string reason = open_error ? open_error : "unknown error";
    duckdb_free(open_error);
    Fail("cannot open DuckDB: " + reason);
  }
  if (duckdb_connect(d.db, &d.con) == DuckDBError)
    Fail("cannot connect to DuckDB");

  for (auto& t : d.out_types)
    t = duckdb_create_logical_type(DUCKDB_TYPE_DOUBLE);
  for (auto& t : d.in_types) t = duckdb_create_logical_type(DUCKDB_TYPE_DOUBLE);
  duckdb_destroy_logical_type(&d.in_types[kInPod]);
  d.in_types[kInPod] = duckdb_create_logical_type(DUCKDB_TYPE_UINTEGER);
  d.capacity = duckdb_vector_size();

  // Each string column: its distinct values in first-seen order, each pod's
  // value number, then ENUM or VARCHAR (see max_enum_dictionary_bytes).
  d.pods = pods.size();
  for (size_t k = 0; k < kPodStrings; ++k) {
    auto field = [k](const WindowPod& p) -> const std::string& {
      const std::string* fields[kPodStrings] = {&p.namespace_, &p.workload_kind,
                                                &p.workload_name, &p.pod,
                                                &p.owner_source};
      return *fields[k];
    };
    std::unordered_map<std::string_view, uint32_t> index;
    std::vector<std::string_view> values;
    std::vector<uint32_t> codes;
    codes.reserve(pods.size());
    size_t dictionary_bytes = 0;
    bool has_nul = false;  // ENUM members are passed as C strings
    for (const WindowPod& p : pods) {
      const std::string& s = field(p);
      if (s.size() > std::numeric_limits<uint32_t>::max()) {
        Fail("pod string longer than 4 GiB");
      }
      auto [it, inserted] =
          index.try_emplace(s, static_cast<uint32_t>(values.size()));
      if (inserted) {
        values.push_back(s);
        dictionary_bytes += s.size() + 4;
        has_nul = has_nul || s.find('\0') != std::string::npos;
      }
      codes.push_back(it->second);
    }
    // The same for the pods active at the start (see active_pods).
    std::vector<bool> active_value(values.size(), false);
    size_t active_bytes = 0;
    for (uint32_t pod : options.active_pods) {
      if (pod >= codes.size() || active_value[codes[pod]]) continue;
      active_value[codes[pod]] = true;
      active_bytes += values[codes[pod]].size() + 4;
    }
    const size_t enum_limit =
        std::max(options.max_enum_dictionary_bytes, 2 * active_bytes);
    Db::StringColumn& col = d.columns[k];
    const size_t c = kStringColumns[k];
    duckdb_destroy_logical_type(&d.out_types[c]);
    // An ENUM needs at least one member; without pods there are no rows.
    if (!values.empty() && !has_nul && dictionary_bytes <= enum_limit) {
      std::vector<std::string> names(values.begin(), values.end());
      std::vector<const char*> c_names;
      c_names.reserve(names.size());
      for (const std::string& v : names) c_names.push_back(v.c_str());
      d.out_types[c] = duckdb_create_enum_type(c_names.data(), c_names.size());
      col.internal = duckdb_enum_internal_type(d.out_types[c]);
      col.codes = std::move(codes);
    } else {
      d.out_types[c] = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
      std::vector<duckdb_string_t> refs;
      refs.reserve(values.size());
      for (std::string_view v : values) {
        refs.push_back(StringRef(d.text.emplace_back(v)));
      }
      col.strings.reserve(codes.size());
      for (uint32_t v : codes) col.strings.push_back(refs[v]);
    }
  }

  duckdb_table_function f = duckdb_create_table_function();
  duckdb_table_function_set_name(f, "podpower_rows");
  duckdb_table_function_set_extra_info(f, &d, nullptr);
  duckdb_table_function_set_bind(f, Db::Bind);
  duckdb_table_function_set_init(f, Db::Init);
  duckdb_table_function_set_function(f, Db::Scan);
  const bool registered =
      duckdb_register_table_function(d.con, f) != DuckDBError;
  duckdb_destroy_table_function(&f);
  if (!registered) Fail("cannot register function podpower_rows");

  // USE_TMP_FILE false: the target is already a temporary file (AtomicFile,
  // which existing makes DuckDB write "tmp_<name>" beside it and leave that
  // behind when the COPY fails).
  d.StartCopy("COPY (SELECT * FROM podpower_rows()) TO " +
              io::SqlString(d.file->temp_path()) + " (FORMAT parquet, " +
              "ROW_GROUP_SIZE " + std::to_string(kRowGroupRows) +
              ", USE_TMP_FILE false)");
}

WindowWriter::~WindowWriter() = default;

std::array<bool, 5> WindowWriter::enum_columns() const {
  std::array<bool, 5> out{};
  for (size_t k = 0; k < kPodStrings; ++k) {
    out[k] = db_->columns[k].internal != DUCKDB_TYPE_VARCHAR;
  }
  return out;
}

void WindowWriter::Add(double ts, uint32_t pod,
                       std::optional<double> avg_power_w,
                       std::optional<double> energy_step_j) {
  Db& d = *db_;
  if (pod >= d.pods) Fail("row for unknown pod number " + std::to_string(pod));
  if (d.finished) Fail("rows added after Finish or Commit");
  if (std::string error = d.Ended(); !error.empty()) Fail(error);
  if (d.chunk == nullptr) {
    d.chunk = duckdb_create_data_chunk(d.in_types, kInColumns);
    d.fill = 0;
    auto vec = [&](idx_t i) {
      return duckdb_data_chunk_get_vector(d.chunk, i);
    };
    d.ts = static_cast<double*>(duckdb_vector_get_data(vec(kInTs)));
    d.pod = static_cast<uint32_t*>(duckdb_vector_get_data(vec(kInPod)));
    d.power = static_cast<double*>(duckdb_vector_get_data(vec(kInPower)));
    d.energy = static_cast<double*>(duckdb_vector_get_data(vec(kInEnergy)));
    duckdb_vector_ensure_validity_writable(vec(kInPower));
    duckdb_vector_ensure_validity_writable(vec(kInEnergy));
    d.power_valid = duckdb_vector_get_validity(vec(kInPower));
    d.energy_valid = duckdb_vector_get_validity(vec(kInEnergy));
  }
  const idx_t i = d.fill;
  d.ts[i] = ts;
  d.pod[i] = pod;
  d.power[i] = avg_power_w.value_or(0);
  if (!avg_power_w) duckdb_validity_set_row_invalid(d.power_valid, i);
  d.energy[i] = energy_step_j.value_or(0);
  if (!energy_step_j) duckdb_validity_set_row_invalid(d.energy_valid, i);
  ++rows_;
  if (++d.fill == d.capacity) Flush();
}

void WindowWriter::Flush() {
  Db& d = *db_;
  if (d.chunk == nullptr) return;
  duckdb_data_chunk_set_size(d.chunk, d.fill);
  duckdb_data_chunk filled = d.chunk;
  d.chunk = nullptr;
  const std::string error = d.Push(filled);
  if (!error.empty()) Fail(error);
}

void WindowWriter::Finish() {
  Db& d = *db_;
  if (d.finished) Fail("Finish or Commit called twice");
  d.finished = true;
  Flush();
  {
    std::lock_guard<std::mutex> lock(d.mu);
    d.closing = true;
  }
  d.cv.notify_all();
  d.copying.join();
  if (!d.copy_error.empty()) Fail(d.copy_error);
  d.Release();
  d.complete = true;
}

void WindowWriter::Commit() {
  Db& d = *db_;
  if (d.committed) Fail("Commit called twice");
  d.committed = true;
  if (!d.finished) {
    Finish();
  } else if (!d.complete) {
    Fail("Commit after a failed Finish");
  }
  d.file->Commit();
}

}  // namespace podpower::labels
