// Python's json.dumps, byte for byte, for hashing records the way the original
// tool did.
//
// The original computes _spec_hash over json.dumps(record, sort_keys=True) with
// Python's defaults: separators ", " and ": ", ensure_ascii=True (non-ASCII and
// DEL as \uXXXX, lower-case hex, surrogate pairs above U+FFFF), floats as
// repr() (shortest round trip, exponent form when the decimal exponent is < -4
// or >= 16, "Infinity"/"NaN"), integers in full. Matching it exactly is what
// makes podpower's hashes equal the original's.
//
// Limits: integers beyond the uint64/int64 range cannot reach here as integers
// (nlohmann parses them as doubles), so they print as Python floats would. Pure
// functions, thread-safe.
#ifndef PODPOWER_IO_PYTHON_JSON_H_
#define PODPOWER_IO_PYTHON_JSON_H_

#include <nlohmann/json.hpp>
#include <string>

namespace podpower::io {

// json.dumps(value, sort_keys=sort_keys). Keys are ordered by code point when
// sort_keys, else kept in the object's order. Strings must be valid UTF-8
// (nlohmann guarantees it for parsed input); invalid bytes throw
// podpower::Error.
std::string PythonJsonDumps(const nlohmann::ordered_json& value,
                            bool sort_keys);

// repr(float): "1.0", "1e-05", "1e+16", "0.1", "-0.0", "inf"-> "Infinity" as
// json.dumps prints it.
std::string PythonFloatRepr(double value);

}  // namespace podpower::io

#endif  // PODPOWER_IO_PYTHON_JSON_H_
