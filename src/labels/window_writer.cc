#include "labels/window_writer.h"

#include <duckdb.h>
#include <stdlib.h>

#include <bit>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

#include "io/atomic_file.h"
#include "io/error.h"

namespace podpower::labels {
namespace {

// DuckDB's default Parquet row group; set explicitly in the COPY so the ENUM
// choice below counts the same groups the writer makes.
constexpr int64_t kRowGroupRows = 122880;

constexpr const char* kStringColumns[] = {
    "namespace", "workload_kind", "workload_name", "pod", "owner_source"};

std::string SqlString(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// What a pod-string function reads: each pod's value number and the values.
// `internal` is the ENUM's storage type, or VARCHAR to write the strings.
struct Lookup {
  const std::vector<uint32_t>* of_pod = nullptr;
  const std::vector<std::string>* values = nullptr;
  duckdb_type internal = DUCKDB_TYPE_VARCHAR;
};

template <typename Code>
void FillCodes(const Lookup& l, const uint32_t* pods, idx_t n, void* out) {
  auto* codes = static_cast<Code*>(out);
  const uint32_t* of_pod = l.of_pod->data();
  for (idx_t i = 0; i < n; ++i) codes[i] = static_cast<Code>(of_pod[pods[i]]);
}

// Scalar function pod number -> the pod's string (or its ENUM code). DuckDB
// may call it from several threads; it only reads.
void LookupFunction(duckdb_function_info info, duckdb_data_chunk input,
                    duckdb_vector output) {
  const auto& l =
      *static_cast<const Lookup*>(duckdb_scalar_function_get_extra_info(info));
  const idx_t n = duckdb_data_chunk_get_size(input);
  const auto* pods = static_cast<const uint32_t*>(
      duckdb_vector_get_data(duckdb_data_chunk_get_vector(input, 0)));
  switch (l.internal) {
    case DUCKDB_TYPE_UTINYINT:
      FillCodes<uint8_t>(l, pods, n, duckdb_vector_get_data(output));
      break;
    case DUCKDB_TYPE_USMALLINT:
      FillCodes<uint16_t>(l, pods, n, duckdb_vector_get_data(output));
      break;
    case DUCKDB_TYPE_UINTEGER:
      FillCodes<uint32_t>(l, pods, n, duckdb_vector_get_data(output));
      break;
    default:
      for (idx_t i = 0; i < n; ++i) {
        const std::string& s = (*l.values)[(*l.of_pod)[pods[i]]];
        duckdb_vector_assign_string_element_len(output, i, s.data(), s.size());
      }
      break;
  }
}

// Scalar function BIGINT -> DOUBLE with the same 64 bits (the rows table
// stores doubles as their bit patterns, see the constructor). NULLs stay NULL.
void DoubleFunction(duckdb_function_info, duckdb_data_chunk input,
                    duckdb_vector output) {
  const idx_t n = duckdb_data_chunk_get_size(input);
  duckdb_vector in = duckdb_data_chunk_get_vector(input, 0);
  static_assert(sizeof(double) == sizeof(int64_t));
  std::memcpy(duckdb_vector_get_data(output), duckdb_vector_get_data(in),
              n * sizeof(double));
  if (const uint64_t* valid = duckdb_vector_get_validity(in)) {
    duckdb_vector_ensure_validity_writable(output);
    std::memcpy(duckdb_vector_get_validity(output), valid,
                (n + 63) / 64 * sizeof(uint64_t));
  }
}

}  // namespace

// Chunks waiting for the appending thread; bounds the rows in flight to
// about 64K (a couple of MB).
constexpr size_t kQueuedChunks = 32;

// DuckDB handles, closed in reverse order of opening on every path.
//
// Appending is DuckDB's heaviest part of a run (statistics, compression), so
// it runs on a thread of its own while the caller computes the next rows:
// Add() fills a chunk, Flush() queues it, the thread appends it. Only that
// thread touches the appender until StopAppending() has joined it; its first
// error is kept and reported by the next Flush() or Commit().
struct WindowWriter::Db {
  duckdb_database db = nullptr;
  duckdb_connection con = nullptr;
  duckdb_appender appender = nullptr;
  duckdb_logical_type types[4] = {};
  duckdb_data_chunk chunk = nullptr;
  idx_t fill = 0;
  idx_t capacity = 0;
  int64_t* ts = nullptr;  // bit patterns of doubles (see the table)
  uint32_t* pod = nullptr;
  int64_t* power = nullptr;
  int64_t* energy = nullptr;
  uint64_t* power_valid = nullptr;
  uint64_t* energy_valid = nullptr;
  std::vector<std::unique_ptr<Lookup>> lookups;

  std::mutex mu;
  std::condition_variable cv;
  std::deque<duckdb_data_chunk> queue;
  bool closing = false;
  std::string append_error;
  std::thread appending;

  void StartAppending() {
    appending = std::thread([this] {
      std::unique_lock<std::mutex> lock(mu);
      for (;;) {
        cv.wait(lock, [this] { return !queue.empty() || closing; });
        if (queue.empty()) return;  // closing, and everything is appended
        duckdb_data_chunk next = queue.front();
        queue.pop_front();
        const bool append = append_error.empty();
        lock.unlock();
        std::string error;
        if (append && duckdb_append_data_chunk(appender, next) == DuckDBError) {
          const char* reason = duckdb_appender_error(appender);
          error = reason && *reason ? reason : "append failed";
        }
        duckdb_destroy_data_chunk(&next);
        lock.lock();
        if (!error.empty() && append_error.empty()) append_error = error;
        cv.notify_all();
      }
    });
  }

  // Appends what is queued (unless `discard`), then joins the thread.
  void StopAppending(bool discard) {
    {
      std::lock_guard<std::mutex> lock(mu);
      closing = true;
      if (discard && append_error.empty()) append_error = "writer closed";
    }
    cv.notify_all();
    if (appending.joinable()) appending.join();
  }

  // Queues the filled chunk for the thread; waits while the queue is full.
  // Returns the thread's first error ("" when none).
  std::string Queue(duckdb_data_chunk filled) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [this] {
      return queue.size() < kQueuedChunks || !append_error.empty();
    });
    if (!append_error.empty()) {
      duckdb_destroy_data_chunk(&filled);
      return append_error;
    }
    queue.push_back(filled);
    cv.notify_all();
    return "";
  }

  ~Db() {
    StopAppending(/*discard=*/true);
    if (chunk != nullptr) duckdb_destroy_data_chunk(&chunk);
    if (appender != nullptr) duckdb_appender_destroy(&appender);
    for (auto& t : types) {
      if (t != nullptr) duckdb_destroy_logical_type(&t);
    }
    if (con != nullptr) duckdb_disconnect(&con);
    if (db != nullptr) duckdb_close(&db);
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
};

void WindowWriter::Fail(const std::string& what) const {
  throw Error(target_ + ": cannot write Parquet: " + what);
}

WindowWriter::WindowWriter(std::string target, WindowWriterOptions options)
    : target_(std::move(target)) {
  const std::filesystem::path path(target_);
  std::string tmpl =
      (path.has_parent_path() ? path.parent_path().string() + "/" : "") + "." +
      path.filename().string() + ".rows.XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    throw Error(target_ +
                ": cannot create output: cannot make a temporary folder: " +
                std::strerror(errno));
  }
  dir_ = tmpl;
  try {
    Open(options);
  } catch (...) {
    db_.reset();  // the destructor does not run for a failed constructor
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw;
  }
}

void WindowWriter::Open(const WindowWriterOptions& options) {
  db_ = std::make_unique<Db>();

  duckdb_config config = nullptr;
  if (duckdb_create_config(&config) == DuckDBError)
    Fail("cannot configure DuckDB");
  // Offline (parquet is linked in); memory bounded, spilling next to the
  // output rather than into a TMPDIR that may be RAM.
  duckdb_set_config(config, "autoinstall_known_extensions", "false");
  duckdb_set_config(config, "autoload_known_extensions", "false");
  duckdb_set_config(config, "memory_limit", options.memory_limit.c_str());
  duckdb_set_config(config, "temp_directory", dir_.c_str());
  char* open_error = nullptr;
  const std::string db_path = dir_ + "/rows.duckdb";
  const duckdb_state state =
      duckdb_open_ext(db_path.c_str(), &db_->db, config, &open_error);
  duckdb_destroy_config(&config);
  if (state == DuckDBError) {
    std::string reason = open_error ? open_error : "unknown error";
    duckdb_free(open_error);
    Fail("cannot open DuckDB: " + reason);
  }
  if (duckdb_connect(db_->db, &db_->con) == DuckDBError)
    Fail("cannot connect to DuckDB");
  // The doubles are stored as their bit patterns in BIGINT columns: for a
  // DOUBLE column DuckDB computes NaN-aware min/max per value and tries ALP
  // compression on every append, about 40% of the append's cost, for a table
  // that is only ever read back whole by Commit's COPY (which turns the bits
  // back into the same doubles).
  std::string error = db_->Run(
      "CREATE TABLE rows (ts BIGINT, pod UINTEGER NOT NULL, avg_power_w "
      "BIGINT, energy_step_j BIGINT)");
  if (!error.empty()) Fail(error);
  if (duckdb_appender_create(db_->con, nullptr, "rows", &db_->appender) ==
      DuckDBError) {
    const char* reason = duckdb_appender_error(db_->appender);
    Fail(std::string("cannot create appender: ") +
         (reason ? reason : "unknown error"));
  }
  db_->types[0] = duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
  db_->types[1] = duckdb_create_logical_type(DUCKDB_TYPE_UINTEGER);
  db_->types[2] = duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
  db_->types[3] = duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
  db_->capacity = duckdb_vector_size();
  db_->StartAppending();
}

WindowWriter::~WindowWriter() {
  db_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

uint32_t WindowWriter::AddPod(const WindowPod& pod) {
  const std::string* fields[kColumns] = {&pod.namespace_, &pod.workload_kind,
                                         &pod.workload_name, &pod.pod,
                                         &pod.owner_source};
  for (size_t c = 0; c < kColumns; ++c) {
    Strings& s = strings_[c];
    auto [it, inserted] =
        s.index.try_emplace(*fields[c], static_cast<uint32_t>(s.values.size()));
    if (inserted) {
      s.values.push_back(*fields[c]);
      s.last_group.push_back(-1);
      s.groups.push_back(0);
    }
    s.of_pod.push_back(it->second);
  }
  pod_last_group_.push_back(-1);
  return static_cast<uint32_t>(pod_last_group_.size() - 1);
}

void WindowWriter::Add(double ts, uint32_t pod,
                       std::optional<double> avg_power_w,
                       std::optional<double> energy_step_j) {
  if (pod >= pod_last_group_.size()) {
    Fail("row for unknown pod number " + std::to_string(pod));
  }
  Db& d = *db_;
  if (d.chunk == nullptr) {
    if (d.appender == nullptr) Fail("rows added after Commit");
    d.chunk = duckdb_create_data_chunk(d.types, 4);
    d.fill = 0;
    auto vec = [&](idx_t i) {
      return duckdb_data_chunk_get_vector(d.chunk, i);
    };
    d.ts = static_cast<int64_t*>(duckdb_vector_get_data(vec(0)));
    d.pod = static_cast<uint32_t*>(duckdb_vector_get_data(vec(1)));
    d.power = static_cast<int64_t*>(duckdb_vector_get_data(vec(2)));
    d.energy = static_cast<int64_t*>(duckdb_vector_get_data(vec(3)));
    duckdb_vector_ensure_validity_writable(vec(2));
    duckdb_vector_ensure_validity_writable(vec(3));
    d.power_valid = duckdb_vector_get_validity(vec(2));
    d.energy_valid = duckdb_vector_get_validity(vec(3));
  }
  const idx_t i = d.fill;
  d.ts[i] = std::bit_cast<int64_t>(ts);
  d.pod[i] = pod;
  d.power[i] = std::bit_cast<int64_t>(avg_power_w.value_or(0));
  if (!avg_power_w) duckdb_validity_set_row_invalid(d.power_valid, i);
  d.energy[i] = std::bit_cast<int64_t>(energy_step_j.value_or(0));
  if (!energy_step_j) duckdb_validity_set_row_invalid(d.energy_valid, i);

  // Row groups each string value will appear in (see Commit).
  const int64_t group = rows_ / kRowGroupRows;
  if (pod_last_group_[pod] != group) {
    pod_last_group_[pod] = group;
    for (Strings& s : strings_) {
      const uint32_t v = s.of_pod[pod];
      if (s.last_group[v] != group) {
        s.last_group[v] = group;
        ++s.groups[v];
      }
    }
  }
  ++rows_;
  if (++d.fill == d.capacity) Flush();
}

void WindowWriter::Flush() {
  Db& d = *db_;
  if (d.chunk == nullptr) return;
  duckdb_data_chunk_set_size(d.chunk, d.fill);
  duckdb_data_chunk filled = d.chunk;
  d.chunk = nullptr;
  const std::string error = d.Queue(filled);
  if (!error.empty()) Fail(error);
}

void WindowWriter::Commit() {
  Db& d = *db_;
  if (d.appender == nullptr) Fail("Commit called twice");
  Flush();
  d.StopAppending(/*discard=*/false);
  if (!d.append_error.empty()) Fail(d.append_error);
  const bool closed = duckdb_appender_close(d.appender) != DuckDBError;
  std::string reason;
  if (!closed) {
    const char* r = duckdb_appender_error(d.appender);
    reason = r ? r : "append failed";
  }
  duckdb_appender_destroy(&d.appender);
  d.appender = nullptr;
  if (!closed) Fail(reason);

  // An ENUM column is written with its whole dictionary in every row group;
  // plain VARCHAR only with the values present there. ENUM is much cheaper to
  // write (no hashing per cell), so it is used unless its dictionaries would be
  // clearly larger (many short-lived pods over a long range).
  const int64_t row_groups = (rows_ + kRowGroupRows - 1) / kRowGroupRows;
  for (size_t c = 0; c < kColumns; ++c) {
    const Strings& s = strings_[c];
    int64_t enum_bytes = 0, varchar_bytes = 0;
    bool has_nul = false;  // ENUM members are passed as C strings
    for (size_t v = 0; v < s.values.size(); ++v) {
      const auto bytes = static_cast<int64_t>(s.values[v].size() + 4);
      enum_bytes += bytes * row_groups;
      varchar_bytes += bytes * s.groups[v];
      has_nul = has_nul || s.values[v].find('\0') != std::string::npos;
    }
    const bool use_enum =
        !s.values.empty() && !has_nul &&
        enum_bytes <= varchar_bytes + varchar_bytes / 4 + (int64_t{64} << 10);
    auto lookup = std::make_unique<Lookup>();
    lookup->of_pod = &s.of_pod;
    lookup->values = &s.values;
    duckdb_logical_type type;
    if (use_enum) {
      std::vector<const char*> names;
      names.reserve(s.values.size());
      for (const std::string& v : s.values) names.push_back(v.c_str());
      type = duckdb_create_enum_type(names.data(), names.size());
      lookup->internal = duckdb_enum_internal_type(type);
    } else {
      type = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    }
    const std::string name = "podpower_" + std::string(kStringColumns[c]);
    duckdb_scalar_function f = duckdb_create_scalar_function();
    duckdb_scalar_function_set_name(f, name.c_str());
    duckdb_scalar_function_add_parameter(f, d.types[1]);
    duckdb_scalar_function_set_return_type(f, type);
    duckdb_scalar_function_set_extra_info(f, lookup.get(), nullptr);
    duckdb_scalar_function_set_function(f, LookupFunction);
    const bool registered =
        duckdb_register_scalar_function(d.con, f) != DuckDBError;
    duckdb_destroy_scalar_function(&f);
    duckdb_destroy_logical_type(&type);
    if (!registered) Fail("cannot register function " + name);
    d.lookups.push_back(std::move(lookup));
  }
  {
    duckdb_logical_type type = duckdb_create_logical_type(DUCKDB_TYPE_DOUBLE);
    duckdb_scalar_function f = duckdb_create_scalar_function();
    duckdb_scalar_function_set_name(f, "podpower_double");
    duckdb_scalar_function_add_parameter(f, d.types[0]);
    duckdb_scalar_function_set_return_type(f, type);
    duckdb_scalar_function_set_function(f, DoubleFunction);
    const bool registered =
        duckdb_register_scalar_function(d.con, f) != DuckDBError;
    duckdb_destroy_scalar_function(&f);
    duckdb_destroy_logical_type(&type);
    if (!registered) Fail("cannot register function podpower_double");
  }
  // Column order of the original: ts, namespace, workload_kind, workload_name,
  // pod, avg_power_w, energy_step_j, owner_source.
  const std::string sql =
      "SELECT podpower_double(ts) AS ts, podpower_namespace(pod) AS namespace, "
      "podpower_workload_kind(pod) AS workload_kind, "
      "podpower_workload_name(pod) AS workload_name, podpower_pod(pod) AS pod, "
      "podpower_double(avg_power_w) AS avg_power_w, "
      "podpower_double(energy_step_j) AS energy_step_j, "
      "podpower_owner_source(pod) AS owner_source FROM rows";
  io::AtomicFile file(target_);
  std::string error =
      d.Run("COPY (" + sql + ") TO " + SqlString(file.temp_path()) +
            " (FORMAT parquet, ROW_GROUP_SIZE " +
            std::to_string(kRowGroupRows) + ")");
  if (!error.empty()) Fail(error);
  file.Commit();
}

}  // namespace podpower::labels
