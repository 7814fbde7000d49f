#include "io/parquet.h"

#include <duckdb.h>
#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "io/atomic_file.h"
#include "io/error.h"

namespace podpower::io {

std::string SqlString(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

namespace {

// "..." SQL identifier: column names come from users' files.
std::string SqlIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// One in-memory database + connection, closed on every path out (RAII over the
// C API).
class Database {
 public:
  explicit Database(const std::string& path) : path_(path) {
    duckdb_config config = nullptr;
    if (duckdb_create_config(&config) == DuckDBError)
      Fail("cannot configure DuckDB");
    // Offline: never download or load extensions at run time (parquet is
    // statically linked).
    duckdb_set_config(config, "autoinstall_known_extensions", "false");
    duckdb_set_config(config, "autoload_known_extensions", "false");
    char* open_error = nullptr;
    const duckdb_state state =
        duckdb_open_ext(nullptr, &db_, config, &open_error);
    duckdb_destroy_config(&config);
    if (state == DuckDBError) {
      std::string reason = open_error ? open_error : "unknown error";
      duckdb_free(open_error);
      Fail("cannot open DuckDB: " + reason);
    }
    if (duckdb_connect(db_, &con_) == DuckDBError) {
      duckdb_close(&db_);
      Fail("cannot connect to DuckDB");
    }
  }
  ~Database() {
    duckdb_disconnect(&con_);
    duckdb_close(&db_);
  }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  duckdb_connection connection() const { return con_; }

  // DuckDB's reasons can span lines (a SQL excerpt follows): one line here.
  [[noreturn]] void Fail(const std::string& what) const {
    throw Error(path_ + ": " + OneLine(what));
  }

 private:
  std::string path_;
  duckdb_database db_ = nullptr;
  duckdb_connection con_ = nullptr;
};

// A query result that is always destroyed.
class Result {
 public:
  Result() { std::memset(&result_, 0, sizeof(result_)); }
  ~Result() { duckdb_destroy_result(&result_); }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  duckdb_result* get() { return &result_; }

 private:
  duckdb_result result_;
};

// Runs `sql`; on failure throws "<path>: <context>: <DuckDB's reason>".
void Run(const Database& db, Result& result, const std::string& sql,
         const std::string& context) {
  if (duckdb_query(db.connection(), sql.c_str(), result.get()) == DuckDBError) {
    const char* reason = duckdb_result_error(result.get());
    db.Fail(context + ": " + (reason ? reason : "unknown error"));
  }
}

struct ChunkDeleter {
  void operator()(duckdb_data_chunk chunk) const {
    duckdb_destroy_data_chunk(&chunk);
  }
};
using Chunk =
    std::unique_ptr<std::remove_pointer_t<duckdb_data_chunk>, ChunkDeleter>;

//
// Reading

bool IsIntegerType(const std::string& t) {
  return t == "TINYINT" || t == "SMALLINT" || t == "INTEGER" || t == "BIGINT" ||
         t == "UTINYINT" || t == "USMALLINT" || t == "UINTEGER" ||
         t == "UBIGINT";
}

// FLOAT[] / DOUBLE[] lists and FLOAT[N] / DOUBLE[N] arrays.
bool IsFloatListType(const std::string& t) {
  std::string_view rest;
  if (t.starts_with("FLOAT[")) {
    rest = std::string_view(t).substr(6);
  } else if (t.starts_with("DOUBLE[")) {
    rest = std::string_view(t).substr(7);
  } else {
    return false;
  }
  if (rest.empty() || rest.back() != ']') return false;
  rest.remove_suffix(1);
  for (char c : rest) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

void ReadStrings(duckdb_vector vector, idx_t n, Column& column) {
  auto* data = static_cast<duckdb_string_t*>(duckdb_vector_get_data(vector));
  uint64_t* validity = duckdb_vector_get_validity(vector);
  for (idx_t i = 0; i < n; ++i) {
    if (validity != nullptr && !duckdb_validity_row_is_valid(validity, i)) {
      column.AppendString(std::nullopt);
    } else {
      column.AppendString(std::string_view(duckdb_string_t_data(&data[i]),
                                           duckdb_string_t_length(data[i])));
    }
  }
}

template <typename T>
void ReadFixed(duckdb_vector vector, idx_t n, std::vector<T>& values,
               std::vector<uint8_t>& valid) {
  const auto* data = static_cast<const T*>(duckdb_vector_get_data(vector));
  uint64_t* validity = duckdb_vector_get_validity(vector);
  const size_t base = values.size();
  values.insert(values.end(), data, data + n);
  valid.resize(base + n, 1);
  if (validity == nullptr) return;
  for (idx_t i = 0; i < n; ++i) {
    if (!duckdb_validity_row_is_valid(validity, i)) {
      valid[base + i] = 0;
      values[base + i] = T{};
    }
  }
}

void ReadFloatLists(duckdb_vector vector, idx_t n, Column& column,
                    const std::string& path, size_t first_row) {
  const auto* entries =
      static_cast<const duckdb_list_entry*>(duckdb_vector_get_data(vector));
  uint64_t* validity = duckdb_vector_get_validity(vector);
  duckdb_vector child = duckdb_list_vector_get_child(vector);
  const auto* values = static_cast<const float*>(duckdb_vector_get_data(child));
  uint64_t* child_validity = duckdb_vector_get_validity(child);
  for (idx_t i = 0; i < n; ++i) {
    if (validity != nullptr && !duckdb_validity_row_is_valid(validity, i)) {
      column.AppendFloatList(std::nullopt);
      continue;
    }
    const duckdb_list_entry& entry = entries[i];
    if (child_validity != nullptr) {
      for (idx_t k = entry.offset; k < entry.offset + entry.length; ++k) {
        if (!duckdb_validity_row_is_valid(child_validity, k)) {
          throw Error(
              path + ": column '" + column.name + "' row " +
              std::to_string(first_row + i + 1) +
              ": NULL inside a list (expected FLOAT[] without NULL elements)");
        }
      }
    }
    column.AppendFloatList(
        std::span<const float>(values + entry.offset, entry.length));
  }
}

//
// Writing

duckdb_logical_type NewDuckType(ColumnType type) {
  switch (type) {
    case ColumnType::kString:
      return duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
    case ColumnType::kInt64:
      return duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
    case ColumnType::kDouble:
      return duckdb_create_logical_type(DUCKDB_TYPE_DOUBLE);
    case ColumnType::kFloatList: {
      duckdb_logical_type child = duckdb_create_logical_type(DUCKDB_TYPE_FLOAT);
      duckdb_logical_type list = duckdb_create_list_type(child);
      duckdb_destroy_logical_type(&child);
      return list;
    }
  }
  return duckdb_create_logical_type(DUCKDB_TYPE_INVALID);
}

void CheckShape(const Table& table, const std::string& path) {
  if (table.columns().empty())
    throw Error(path + ": cannot write a table without columns");
  const size_t rows = table.rows();
  for (const Column& c : table.columns()) {
    size_t values = 0;
    switch (c.type) {
      case ColumnType::kString:
        values = c.strings.size();
        break;
      case ColumnType::kInt64:
        values = c.ints.size();
        break;
      case ColumnType::kDouble:
        values = c.doubles.size();
        break;
      case ColumnType::kFloatList:
        values = c.list_offsets.empty() ? 0 : c.list_offsets.size() - 1;
        if (!c.list_offsets.empty() &&
            c.list_offsets.back() != c.float_values.size())
          values = -1;
        break;
    }
    if (c.size() != rows || values != rows) {
      throw Error(path + ": column '" + c.name + "' has " +
                  std::to_string(c.size()) + " rows, expected " +
                  std::to_string(rows) + " (inconsistent table)");
    }
  }
}

void MarkNulls(duckdb_vector vector, const Column& column, size_t begin,
               idx_t n) {
  uint64_t* validity = nullptr;
  for (idx_t i = 0; i < n; ++i) {
    if (!column.is_null(begin + i)) continue;
    if (validity == nullptr) {
      duckdb_vector_ensure_validity_writable(vector);
      validity = duckdb_vector_get_validity(vector);
    }
    duckdb_validity_set_row_invalid(validity, i);
  }
}

// Fills one chunk's vector for rows [begin, begin + n) of `column`.
void FillVector(duckdb_vector vector, const Column& column, size_t begin,
                idx_t n) {
  switch (column.type) {
    case ColumnType::kString:
      for (idx_t i = 0; i < n; ++i) {
        if (column.is_null(begin + i)) continue;
        const std::string& s = column.strings[begin + i];
        duckdb_vector_assign_string_element_len(vector, i, s.data(), s.size());
      }
      break;
    case ColumnType::kInt64:
      std::memcpy(duckdb_vector_get_data(vector), column.ints.data() + begin,
                  n * sizeof(int64_t));
      break;
    case ColumnType::kDouble:
      std::memcpy(duckdb_vector_get_data(vector), column.doubles.data() + begin,
                  n * sizeof(double));
      break;
    case ColumnType::kFloatList: {
      // One memcpy per chunk: the rows' values are contiguous in float_values.
      const uint64_t first = column.list_offsets[begin];
      const uint64_t last = column.list_offsets[begin + n];
      duckdb_list_vector_reserve(vector, last - first);
      duckdb_list_vector_set_size(vector, last - first);
      duckdb_vector child = duckdb_list_vector_get_child(vector);
      if (last > first) {
        std::memcpy(duckdb_vector_get_data(child),
                    column.float_values.data() + first,
                    (last - first) * sizeof(float));
      }
      auto* entries =
          static_cast<duckdb_list_entry*>(duckdb_vector_get_data(vector));
      for (idx_t i = 0; i < n; ++i) {
        entries[i].offset = column.list_offsets[begin + i] - first;
        entries[i].length =
            column.list_offsets[begin + i + 1] - column.list_offsets[begin + i];
      }
      break;
    }
  }
  MarkNulls(vector, column, begin, n);
}

}  // namespace

namespace {

// SELECT * FROM `source` (a table function call or a parenthesized query)
// into a Table named `path`, with ReadParquet's type mapping.
Table ReadSelect(const Database& db, const std::string& source,
                 const std::string& path) {
  // Column names and DuckDB's type names decide how each column is read (and
  // name the type in errors); casting in SQL leaves the chunk reader only four
  // physical layouts to handle.
  Result describe;
  Run(db, describe, "DESCRIBE SELECT * FROM " + source, "cannot read Parquet");
  Table table;
  table.source = path;
  std::string projection;
  const idx_t columns = duckdb_row_count(describe.get());
  for (idx_t c = 0; c < columns; ++c) {
    char* name_raw = duckdb_value_varchar(describe.get(), 0, c);
    char* type_raw = duckdb_value_varchar(describe.get(), 1, c);
    const std::string name = name_raw ? name_raw : "";
    const std::string type = type_raw ? type_raw : "";
    duckdb_free(name_raw);
    duckdb_free(type_raw);
    std::string expr = SqlIdentifier(name);
    ColumnType kind;
    if (type == "VARCHAR") {
      kind = ColumnType::kString;
    } else if (IsIntegerType(type)) {
      kind = ColumnType::kInt64;
      if (type != "BIGINT") expr = "CAST(" + expr + " AS BIGINT)";
    } else if (type == "FLOAT" || type == "DOUBLE" ||
               type.starts_with("DECIMAL")) {
      kind = ColumnType::kDouble;
      if (type != "DOUBLE") expr = "CAST(" + expr + " AS DOUBLE)";
    } else if (IsFloatListType(type)) {
      kind = ColumnType::kFloatList;
      if (type != "FLOAT[]") expr = "CAST(" + expr + " AS FLOAT[])";
    } else {
      throw Error(path + ": column '" + name + "' is " + type +
                  ", expected VARCHAR, an integer, FLOAT, DOUBLE, DECIMAL, or "
                  "a FLOAT[]/DOUBLE[] "
                  "list");
    }
    table.AddColumn(name, kind);
    if (!projection.empty()) projection += ", ";
    projection += expr;
  }
  if (columns == 0) throw Error(path + ": cannot read Parquet: no columns");

  Result result;
  Run(db, result, "SELECT " + projection + " FROM " + source,
      "cannot read Parquet");
  size_t rows = 0;
  for (;;) {
    Chunk chunk(duckdb_fetch_chunk(*result.get()));
    if (!chunk) break;
    const idx_t n = duckdb_data_chunk_get_size(chunk.get());
    if (n == 0) continue;
    for (idx_t c = 0; c < columns; ++c) {
      duckdb_vector vector = duckdb_data_chunk_get_vector(chunk.get(), c);
      Column& column = table.columns()[c];
      switch (column.type) {
        case ColumnType::kString:
          ReadStrings(vector, n, column);
          break;
        case ColumnType::kInt64:
          ReadFixed(vector, n, column.ints, column.valid);
          break;
        case ColumnType::kDouble:
          ReadFixed(vector, n, column.doubles, column.valid);
          break;
        case ColumnType::kFloatList:
          ReadFloatLists(vector, n, column, path, rows);
          break;
      }
    }
    rows += n;
  }
  // duckdb_fetch_chunk returns NULL on errors too (e.g. a cast that overflows
  // mid-file).
  const char* late_error = duckdb_result_error(result.get());
  if (late_error != nullptr && *late_error != '\0') {
    throw Error(path + ": cannot read Parquet: " + OneLine(late_error));
  }
  return table;
}

// CREATE TABLE `name` with `table`'s columns and rows (appender, one chunk of
// duckdb_vector_size() rows at a time).
void CreateAndAppend(const Database& db, const std::string& name,
                     const Table& table, const std::string& context);

}  // namespace

Table ReadParquet(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    throw Error(path + ": cannot read Parquet: " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode))
    throw Error(path + ": cannot read Parquet: is a directory");

  Database db(path);
  return ReadSelect(db, "read_parquet(" + SqlString(path) + ")", path);
}

void WriteParquet(const Table& table, const std::string& path) {
  CheckShape(table, path);
  AtomicFile file(path);
  Database db(path);
  CreateAndAppend(db, "t", table, "cannot write Parquet");
  {
    Result r;
    // USE_TMP_FILE false: the target is already AtomicFile's temporary (a
    // second one of DuckDB's own would be left behind by a kill, unlocked).
    Run(db, r,
        "COPY t TO " + SqlString(file.temp_path()) +
            " (FORMAT parquet, USE_TMP_FILE false)",
        "cannot write Parquet");
  }
  file.Commit();
}

namespace {

void CreateAndAppend(const Database& db, const std::string& name,
                     const Table& table, const std::string& context) {
  std::string create = "CREATE TABLE " + SqlIdentifier(name) + " (";
  for (size_t c = 0; c < table.columns().size(); ++c) {
    const Column& column = table.columns()[c];
    if (c > 0) create += ", ";
    create += SqlIdentifier(column.name) + " " +
              std::string(ColumnTypeName(column.type));
  }
  create += ")";
  {
    Result r;
    Run(db, r, create, context);
  }

  const size_t ncols = table.columns().size();
  std::vector<duckdb_logical_type> types;
  for (const Column& column : table.columns())
    types.push_back(NewDuckType(column.type));
  struct TypesGuard {
    std::vector<duckdb_logical_type>& types;
    ~TypesGuard() {
      for (auto& t : types) duckdb_destroy_logical_type(&t);
    }
  } types_guard{types};

  duckdb_appender appender = nullptr;
  if (duckdb_appender_create(db.connection(), nullptr, name.c_str(),
                             &appender) == DuckDBError) {
    duckdb_appender_destroy(&appender);
    db.Fail(context + ": cannot create appender");
  }
  struct AppenderGuard {
    duckdb_appender& appender;
    ~AppenderGuard() {
      if (appender != nullptr) duckdb_appender_destroy(&appender);
    }
  } appender_guard{appender};

  const size_t rows = table.rows();
  const idx_t capacity = duckdb_vector_size();
  for (size_t begin = 0; begin < rows; begin += capacity) {
    const idx_t n = std::min<size_t>(capacity, rows - begin);
    Chunk chunk(duckdb_create_data_chunk(types.data(), ncols));
    for (size_t c = 0; c < ncols; ++c) {
      FillVector(duckdb_data_chunk_get_vector(chunk.get(), c),
                 table.columns()[c], begin, n);
    }
    duckdb_data_chunk_set_size(chunk.get(), n);
    if (duckdb_append_data_chunk(appender, chunk.get()) == DuckDBError) {
      const char* reason = duckdb_appender_error(appender);
      db.Fail(context + ": " + (reason ? reason : "append failed"));
    }
  }
  if (duckdb_appender_close(appender) == DuckDBError) {
    const char* reason = duckdb_appender_error(appender);
    db.Fail(context + ": " + (reason ? reason : "append failed"));
  }
}

}  // namespace

// ---- Additions for out-of-core work (join) ---------------------------------

struct DuckDbSession::Impl {
  explicit Impl(const std::string& what) : db(what) {}
  Database db;
};

DuckDbSession::DuckDbSession(const std::string& what,
                             const DuckDbLimits& limits)
    : impl_(std::make_unique<Impl>(what)) {
  if (!limits.memory_limit.empty()) {
    Execute("SET memory_limit = " + SqlString(limits.memory_limit),
            "--memory-limit " + limits.memory_limit);
  }
  if (!limits.temp_directory.empty()) {
    Execute("SET temp_directory = " + SqlString(limits.temp_directory),
            "--spill-dir " + limits.temp_directory);
  }
  if (limits.threads > 0) {
    Execute("SET threads = " + std::to_string(limits.threads), "threads");
  }
}

DuckDbSession::~DuckDbSession() = default;

void DuckDbSession::Execute(const std::string& sql,
                            const std::string& context) {
  Result r;
  Run(impl_->db, r, sql, context);
}

Table DuckDbSession::Query(const std::string& sql, const std::string& source) {
  return ReadSelect(impl_->db, "(" + sql + ")", source);
}

void DuckDbSession::CreateTable(const std::string& name, const Table& table,
                                const std::string& context) {
  CheckShape(table, context);
  CreateAndAppend(impl_->db, name, table, context);
}

ParquetInput ExpandParquetInput(const std::string& path) {
  namespace fs = std::filesystem;
  ParquetInput input;
  if (path.find_first_of("*?[") != std::string::npos) {
    glob_t g;
    std::memset(&g, 0, sizeof(g));
    const int rc = ::glob(path.c_str(), 0, nullptr, &g);
    for (size_t i = 0; rc == 0 && i < g.gl_pathc; ++i) {
      std::error_code ec;
      if (fs::is_regular_file(g.gl_pathv[i], ec))
        input.files.emplace_back(g.gl_pathv[i]);
    }
    globfree(&g);
    if (input.files.empty())
      throw Error(path + ": cannot read Parquet: no file matches the glob");
    return input;  // glob(3) sorts its matches
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    throw Error(path + ": cannot read Parquet: " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    input.files.push_back(path);
    return input;
  }
  input.hive = true;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // Hidden entries are other writers' temporary files (atomic_file.h).
    if (name.starts_with(".")) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && name.ends_with(".parquet"))
      input.files.push_back(it->path().string());
  }
  if (ec) throw Error(path + ": cannot read Parquet: " + ec.message());
  std::sort(input.files.begin(), input.files.end());
  if (input.files.empty())
    throw Error(path +
                ": cannot read Parquet: no *.parquet file in the folder");
  return input;
}

std::string ParquetInputSql(const ParquetInput& input,
                            const std::string& options) {
  std::string list = "[";
  for (size_t i = 0; i < input.files.size(); ++i) {
    if (i > 0) list += ", ";
    list += SqlString(input.files[i]);
  }
  list += "]";
  std::string sql = "read_parquet(" + list;
  if (input.hive) {
    // Partition values stay VARCHAR: a DATE column would be a type podpower
    // tables do not have.
    sql += ", hive_partitioning = true, hive_types_autocast = false";
  }
  if (input.files.size() > 1) sql += ", union_by_name = true";
  if (!options.empty()) sql += ", " + options;
  return sql + ")";
}

Table ReadParquetInput(const std::string& path) {
  const ParquetInput input = ExpandParquetInput(path);
  if (!input.hive && input.files.size() == 1 && input.files[0] == path) {
    return ReadParquet(path);
  }
  DuckDbSession session(path);
  Table table = session.Query("SELECT * FROM " + ParquetInputSql(input), path);
  table.source = path;
  return table;
}

}  // namespace podpower::io
