// Test-only: the SQL oracle of tests/oracle/join_canonical.sql, run in a
// fresh in-memory DuckDB. Header-only so both join tests can use it.
#ifndef PODPOWER_JOIN_TEST_ORACLE_H_
#define PODPOWER_JOIN_TEST_ORACLE_H_

#include <duckdb.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace podpower::join {

// Runs `sql` (after tests/oracle/join_canonical.sql) in DuckDB and returns
// the rows as strings ("" for NULL).
inline std::vector<std::vector<std::string>> OracleRows(
    const std::string& sql) {
  std::ifstream file(std::string(PODPOWER_SOURCE_DIR) +
                     "/tests/oracle/join_canonical.sql");
  std::stringstream macros;
  macros << file.rdbuf();
  duckdb_database db;
  duckdb_connection con;
  EXPECT_EQ(duckdb_open(nullptr, &db), DuckDBSuccess);
  EXPECT_EQ(duckdb_connect(db, &con), DuckDBSuccess);
  std::vector<std::vector<std::string>> rows;
  for (const std::string& q : {macros.str(), sql}) {
    duckdb_result r;
    if (duckdb_query(con, q.c_str(), &r) == DuckDBError) {
      ADD_FAILURE() << duckdb_result_error(&r);
    } else {
      for (idx_t i = 0; i < duckdb_row_count(&r); ++i) {
        std::vector<std::string>& row = rows.emplace_back();
        for (idx_t c = 0; c < duckdb_column_count(&r); ++c) {
          char* v = duckdb_value_varchar(&r, c, i);
          row.emplace_back(v ? v : "");
          duckdb_free(v);
        }
      }
    }
    duckdb_destroy_result(&r);
  }
  duckdb_disconnect(&con);
  duckdb_close(&db);
  return rows;
}

}  // namespace podpower::join

#endif  // PODPOWER_JOIN_TEST_ORACLE_H_
