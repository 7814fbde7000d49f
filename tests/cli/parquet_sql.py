#!/usr/bin/python3
"""Runs one SQL query (usually over read_parquet(...)) through the libduckdb.so podpower links
and prints the result rows tab-separated, NULL as "NULL". Debian's python3 has no Parquet engine,
so the CLI tests read podpower's Parquet output this way (ctypes, the materialized-result API;
see /work/shared/reference/duckdb-from-npm.md section 7). Only scalar columns: cast lists in SQL.

Usage: parquet_sql.py LIBDUCKDB_SO SQL
Exit status 1 (with DuckDB's message on stderr) when the query fails.
"""
import ctypes
import sys


class Result(ctypes.Structure):
    # duckdb_result: three deprecated idx_t counts, deprecated columns pointer, deprecated error
    # string, internal data pointer.
    _fields_ = [("f%d" % i, ctypes.c_void_p) for i in range(6)]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    lib = ctypes.CDLL(sys.argv[1])
    ptr = ctypes.POINTER(ctypes.c_void_p)
    lib.duckdb_open.argtypes = [ctypes.c_char_p, ptr]
    lib.duckdb_connect.argtypes = [ctypes.c_void_p, ptr]
    lib.duckdb_query.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(Result)]
    lib.duckdb_result_error.argtypes = [ctypes.POINTER(Result)]
    lib.duckdb_result_error.restype = ctypes.c_char_p
    lib.duckdb_row_count.argtypes = [ctypes.POINTER(Result)]
    lib.duckdb_row_count.restype = ctypes.c_uint64
    lib.duckdb_column_count.argtypes = [ctypes.POINTER(Result)]
    lib.duckdb_column_count.restype = ctypes.c_uint64
    lib.duckdb_value_is_null.argtypes = [ctypes.POINTER(Result), ctypes.c_uint64, ctypes.c_uint64]
    lib.duckdb_value_is_null.restype = ctypes.c_bool
    lib.duckdb_value_varchar.argtypes = [ctypes.POINTER(Result), ctypes.c_uint64, ctypes.c_uint64]
    lib.duckdb_value_varchar.restype = ctypes.c_void_p
    lib.duckdb_free.argtypes = [ctypes.c_void_p]
    lib.duckdb_destroy_result.argtypes = [ctypes.POINTER(Result)]

    db, con, res = ctypes.c_void_p(), ctypes.c_void_p(), Result()
    if lib.duckdb_open(None, ctypes.byref(db)) != 0:
        sys.exit("parquet_sql: duckdb_open failed")
    if lib.duckdb_connect(db, ctypes.byref(con)) != 0:
        sys.exit("parquet_sql: duckdb_connect failed")
    if lib.duckdb_query(con, sys.argv[2].encode(), ctypes.byref(res)) != 0:
        error = lib.duckdb_result_error(ctypes.byref(res))
        sys.stderr.write("parquet_sql: %s\n" % (error or b"query failed").decode())
        sys.exit(1)
    out = []
    for row in range(lib.duckdb_row_count(ctypes.byref(res))):
        cells = []
        for col in range(lib.duckdb_column_count(ctypes.byref(res))):
            if lib.duckdb_value_is_null(ctypes.byref(res), col, row):
                cells.append("NULL")
                continue
            p = lib.duckdb_value_varchar(ctypes.byref(res), col, row)
            cells.append(ctypes.string_at(p).decode() if p else "NULL")
            if p:
                lib.duckdb_free(p)
        out.append("\t".join(cells))
    lib.duckdb_destroy_result(ctypes.byref(res))
    sys.stdout.write("".join(line + "\n" for line in out))


if __name__ == "__main__":
    main()
