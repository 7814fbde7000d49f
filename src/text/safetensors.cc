#include "text/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>

#include "io/atomic_file.h"
#include "io/error.h"
#include "io/sha256.h"

namespace podpower::text {
namespace {

constexpr uint64_t kMaxHeader = 100'000'000;

// Bytes per element; 0 for dtypes safetensors does not define.
size_t DtypeSize(const std::string& dtype) {
  if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
  if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16")
    return 2;
  if (dtype == "I8" || dtype == "U8" || dtype == "BOOL" || dtype == "F8_E4M3" ||
      dtype == "F8_E5M2")
    return 1;
  return 0;
}

[[noreturn]] void Corrupt(const std::string& path, const std::string& what) {
  throw Error(path + ": corrupt safetensors header: " + what);
}

}  // namespace

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

float HalfToFloat(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400) == 0);
      bits = sign | ((127 - 15 - e) << 23) | ((mant & 0x3ff) << 13);
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float Bfloat16ToFloat(uint16_t b) {
  uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t FloatToHalf(float value) {
  uint32_t x;
  std::memcpy(&x, &value, 4);
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) {  // inf or nan
    return sign | 0x7c00 | (absx > 0x7f800000u ? 0x200 : 0);
  }
  if (absx >= 0x477ff000u) return sign | 0x7c00;  // rounds to >= 65520: inf
  if (absx < 0x38800000u) {                       // below 2^-14: subnormal
    // value * 2^24 rounded to nearest even gives the subnormal mantissa.
    float a;
    std::memcpy(&a, &absx, 4);
    float scaled = a * 16777216.0f;  // exact
    auto m = static_cast<uint32_t>(scaled);
    float frac = scaled - static_cast<float>(m);
    if (frac > 0.5f || (frac == 0.5f && (m & 1))) ++m;
    return sign | static_cast<uint16_t>(m);
  }
  uint32_t mant = absx & 0x7fffff;
  uint32_t exp = (absx >> 23) - 127 + 15;
  uint32_t half = (exp << 10) | (mant >> 13);
  uint32_t rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) ++half;
  return sign | static_cast<uint16_t>(half);
}

std::unique_ptr<SafetensorsFile> SafetensorsFile::Open(
    const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    throw Error(path + ": cannot open: " + std::strerror(err));
  }
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  file->size_ = static_cast<size_t>(st.st_size);
  if (file->size_ < 8) {
    ::close(fd);
    Corrupt(path, "file is " + std::to_string(file->size_) +
                      " bytes, shorter than the 8-byte length prefix");
  }
  void* map = ::mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE, fd, 0);
  int map_err = errno;
  ::close(fd);
  if (map == MAP_FAILED)
    throw Error(path + ": cannot map: " + std::strerror(map_err));
  file->data_ = static_cast<const unsigned char*>(map);

  static constexpr std::string_view kLfs = "version https://git-lfs";
  if (file->size_ >= kLfs.size() &&
      std::string_view(reinterpret_cast<const char*>(file->data_),
                       kLfs.size()) == kLfs)
    throw Error(
        path +
        ": is a Git LFS pointer, not the weights (install git-lfs and run "
        "`git lfs pull` in the model folder)");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | file->data_[i];
  if (n > kMaxHeader || n > file->size_ - 8) {
    Corrupt(path, "header length " + std::to_string(n) + " exceeds the file (" +
                      std::to_string(file->size_) + " bytes) or 100000000");
  }
  std::string_view text(reinterpret_cast<const char*>(file->data_ + 8), n);
  if (text.empty() || text.front() != '{')
    Corrupt(path, "header does not start with '{'");
  nlohmann::json header = nlohmann::json::parse(text, nullptr, false);
  if (header.is_discarded() || !header.is_object())
    Corrupt(path, "header is not a JSON object");
  file->buffer_start_ = 8 + n;
  const uint64_t buffer_size = file->size_ - file->buffer_start_;

  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    const std::string where = "tensor '" + name + "': ";
    if (!entry.is_object()) Corrupt(path, where + "expected an object");
    TensorInfo info;
    auto dtype = entry.find("dtype");
    auto shape = entry.find("shape");
    auto offsets = entry.find("data_offsets");
    if (dtype == entry.end() || !dtype->is_string())
      Corrupt(path, where + "missing string 'dtype'");
    if (shape == entry.end() || !shape->is_array())
      Corrupt(path, where + "missing array 'shape'");
    if (offsets == entry.end() || !offsets->is_array() ||
        offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
        !(*offsets)[1].is_number_unsigned())
      Corrupt(path, where + "'data_offsets' must be [begin, end]");
    info.dtype = dtype->get<std::string>();
    size_t elem = DtypeSize(info.dtype);
    if (elem == 0) Corrupt(path, where + "unknown dtype '" + info.dtype + "'");
    // The element count must not wrap: [2^62, 4] would be 0 elements, and
    // the tensor would claim 2^64 of them in 0 bytes.
    uint64_t count = 1;
    for (const auto& d : *shape) {
      if (!d.is_number_unsigned())
        Corrupt(path, where + "shape entries must be >= 0");
      const uint64_t dim = d.get<uint64_t>();
      if (dim > static_cast<uint64_t>(INT64_MAX) ||
          __builtin_mul_overflow(count, dim, &count))
        Corrupt(path, where + "shape has more than 2^64 elements");
      info.shape.push_back(static_cast<int64_t>(dim));
    }
    uint64_t bytes = 0;
    if (__builtin_mul_overflow(count, elem, &bytes))
      Corrupt(path, where + "shape has more than 2^64 bytes");
    info.begin = (*offsets)[0].get<uint64_t>();
    info.end = (*offsets)[1].get<uint64_t>();
    if (info.begin > info.end || info.end > buffer_size)
      Corrupt(path, where + "data_offsets outside the " +
                        std::to_string(buffer_size) + "-byte buffer");
    if (info.end - info.begin != bytes)
      Corrupt(path, where + "shape " + ShapeString(info.shape) + " of " +
                        info.dtype + " needs " + std::to_string(bytes) +
                        " bytes, offsets give " +
                        std::to_string(info.end - info.begin));
    ranges.emplace_back(info.begin, info.end);
    file->tensors_.emplace(name, std::move(info));
  }
  std::sort(ranges.begin(), ranges.end());
  uint64_t expect = 0;
  for (const auto& [b, e] : ranges) {
    if (b != expect)
      Corrupt(path,
              b < expect ? "tensor data overlaps" : "hole in tensor data");
    expect = e;
  }
  if (expect != buffer_size)
    Corrupt(path, "trailing bytes after the last tensor");
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (data_) ::munmap(const_cast<unsigned char*>(data_), size_);
}

const TensorInfo* SafetensorsFile::Find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

std::vector<float> SafetensorsFile::ReadFloats(
    const std::string& name, const std::vector<int64_t>& expected_shape) const {
  const TensorInfo* info = Find(name);
  if (!info) throw Error(path_ + ": tensor '" + name + "' missing");
  if (info->shape != expected_shape)
    throw Error(path_ + ": tensor '" + name + "' has shape " +
                ShapeString(info->shape) + ", expected " +
                ShapeString(expected_shape));
  const unsigned char* p = data_ + buffer_start_ + info->begin;
  size_t bytes = info->end - info->begin;
  std::vector<float> out;
  if (info->dtype == "F32") {
    out.resize(bytes / 4);
    // An empty vector's data() may be null, and memcpy(nullptr, p, 0) is UB.
    if (bytes > 0) std::memcpy(out.data(), p, bytes);
  } else if (info->dtype == "F16" || info->dtype == "BF16") {
    out.resize(bytes / 2);
    bool half = info->dtype == "F16";
    for (size_t i = 0; i < out.size(); ++i) {
      uint16_t v = static_cast<uint16_t>(p[2 * i] | (p[2 * i + 1] << 8));
      out[i] = half ? HalfToFloat(v) : Bfloat16ToFloat(v);
    }
  } else {
    throw Error(path_ + ": tensor '" + name + "' has dtype " + info->dtype +
                ", expected F32, F16 or BF16");
  }
  return out;
}

std::string SafetensorsFile::Sha256Hex() const {
  return io::Sha256Hex(
      std::string_view(reinterpret_cast<const char*>(data_), size_), path_);
}

void WriteSafetensors(const std::string& path,
                      const std::vector<TensorToWrite>& tensors) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    uint64_t count = 1;
    for (int64_t d : t.shape) count *= static_cast<uint64_t>(d);
    if (count != t.values.size())
      throw Error(path + ": tensor '" + t.name + "' has " +
                  std::to_string(t.values.size()) + " values, shape " +
                  ShapeString(t.shape) + " needs " + std::to_string(count));
    uint64_t bytes = count * (t.as_f16 ? 2 : 4);
    header[t.name] = {{"dtype", t.as_f16 ? "F16" : "F32"},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string json = header.dump();
  while (json.size() % 8) json += ' ';
  io::AtomicFile out(path);
  auto& s = out.stream();
  uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) s.put(static_cast<char>((n >> (8 * i)) & 0xff));
  s.write(json.data(), static_cast<std::streamsize>(json.size()));
  for (const auto& t : tensors) {
    if (t.as_f16) {
      std::vector<uint16_t> half(t.values.size());
      for (size_t i = 0; i < half.size(); ++i)
        half[i] = FloatToHalf(t.values[i]);
      s.write(reinterpret_cast<const char*>(half.data()),
              static_cast<std::streamsize>(half.size() * 2));
    } else {
      s.write(reinterpret_cast<const char*>(t.values.data()),
              static_cast<std::streamsize>(t.values.size() * 4));
    }
  }
  out.Commit();
}

}  // namespace podpower::text
