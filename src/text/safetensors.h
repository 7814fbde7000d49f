// safetensors files: the weights of a Hugging Face model folder.
//
// Layout (huggingface/safetensors): u64 little-endian header length N, N bytes
// of JSON mapping each tensor name to {"dtype", "shape", "data_offsets":
// [begin, end]} (offsets relative to the byte buffer after the header, no holes
// or overlaps), optional "__metadata__", then the buffer. SafetensorsFile maps
// the file read-only and validates the whole header when opened, so a corrupt
// or truncated file fails before any tensor is used. It owns the mapping; reads
// are const and thread-safe. Errors are podpower::Error naming the file and,
// where it applies, the tensor.
#ifndef PODPOWER_TEXT_SAFETENSORS_H_
#define PODPOWER_TEXT_SAFETENSORS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace podpower::text {

struct TensorInfo {
  std::string dtype;           // "F32", "F16", "BF16", "I64", ...
  std::vector<int64_t> shape;  // C order
  uint64_t begin = 0;          // byte range in the buffer
  uint64_t end = 0;
};

class SafetensorsFile {
 public:
  // Throws podpower::Error "<path>: cannot open: <reason>" or "<path>: corrupt
  // safetensors header: <what>" (bad length, bad JSON, unknown dtype size,
  // shape/size mismatch, holes, overlaps).
  static std::unique_ptr<SafetensorsFile> Open(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::map<std::string, TensorInfo>& tensors() const { return tensors_; }
  // nullptr when the file has no tensor of that name.
  const TensorInfo* Find(const std::string& name) const;

  // The tensor as float32 (F32 copied, F16/BF16 widened exactly). Throws
  // podpower::Error
  // "<path>: tensor '<name>' has shape [a, b], expected [c, d]" or "... has
  // dtype I64, expected a float type". `expected_shape` must match exactly.
  std::vector<float> ReadFloats(
      const std::string& name,
      const std::vector<int64_t>& expected_shape) const;

  // Lower-case hex sha256 of the whole file: the model's fingerprint.
  std::string Sha256Hex() const;

 private:
  SafetensorsFile() = default;
  std::string path_;
  const unsigned char* data_ = nullptr;  // whole file, mmap'ed
  size_t size_ = 0;
  size_t buffer_start_ = 0;
  std::map<std::string, TensorInfo> tensors_;
};

// A tensor to write: float32 values stored as F32 or, with as_f16, rounded to
// F16.
struct TensorToWrite {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
  bool as_f16 = false;
};

// Writes a safetensors file (tests, benchmarks) atomically. Throws
// podpower::Error naming `path`.
void WriteSafetensors(const std::string& path,
                      const std::vector<TensorToWrite>& tensors);

// IEEE half and bfloat16 bits to float (exact).
float HalfToFloat(uint16_t bits);
float Bfloat16ToFloat(uint16_t bits);
// Round-to-nearest-even float to half bits (overflow to infinity).
uint16_t FloatToHalf(float value);

std::string ShapeString(const std::vector<int64_t>& shape);

}  // namespace podpower::text

#endif  // PODPOWER_TEXT_SAFETENSORS_H_
