// Fuzz target: safetensors files, as `encode --sbert-model` and `embed` open a
// model folder's weights: text::SafetensorsFile::Open on the file's bytes
// (8-byte length, JSON header, tensor byte ranges), then every float tensor
// read back with its own shape, and the file's fingerprint.
//
// Checks: no crash and no sanitizer report (a header that lies about shapes,
// offsets or sizes must not make ReadFloats read outside the mapping, and an
// accepted tensor's shape accounts for its bytes exactly); memory
// inside libFuzzer's limits; a corrupt file throws podpower::Error and nothing
// else (std::length_error or bad_alloc from a huge shape breaks it).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz/fuzz_support.h"
#include "text/safetensors.h"

namespace {

// The bytes `t`'s shape and dtype need, exactly (saturated above 2^64).
unsigned __int128 ShapeBytes(const podpower::text::TensorInfo& t) {
  const std::string& d = t.dtype;
  unsigned __int128 bytes =
      (d == "F64" || d == "I64" || d == "U64")                  ? 8
      : (d == "F32" || d == "I32" || d == "U32")                ? 4
      : (d == "F16" || d == "BF16" || d == "I16" || d == "U16") ? 2
                                                                : 1;
  constexpr unsigned __int128 kCap = (unsigned __int128)1 << 65;
  for (int64_t dim : t.shape) {
    if (dim == 0) return 0;
    bytes =
        std::min<unsigned __int128>(bytes * static_cast<uint64_t>(dim), kCap);
  }
  return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace podpower;
  const std::string path = fuzz::ScratchDir::Get().Write(
      "model.safetensors",
      std::string_view(reinterpret_cast<const char*>(data), size));
  fuzz::RejectOnlyWithError([&] {
    auto file = text::SafetensorsFile::Open(path);
    for (const auto& [name, info] : file->tensors()) {
      if (ShapeBytes(info) != info.end - info.begin) {
        std::fprintf(stderr,
                     "fuzz: tensor '%s': shape %s does not match its %llu "
                     "bytes\n",
                     name.c_str(), text::ShapeString(info.shape).c_str(),
                     static_cast<unsigned long long>(info.end - info.begin));
        std::abort();
      }
      if (info.dtype == "F32" || info.dtype == "F16" || info.dtype == "BF16") {
        file->ReadFloats(name, info.shape);
      }
    }
    file->Sha256Hex();
  });
  return 0;
}
