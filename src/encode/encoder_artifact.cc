// Encoder::Save / Encoder::Load: the .ppenc artifact (docs/formats/encoder.md).
//
//   PODPOWER-ENCODER <version>\n
//   <header: one line of JSON>\n
//   <payload: header.payload_bytes bytes of little-endian float64 arrays, in
//   header.arrays order> SHA256 <64 lower-case hex digits of sha256 over every
//   byte above>\n

#include <bit>
#include <cstring>
#include <fstream>
#include <sstream>

#include "encode/encoder.h"
#include "io/atomic_file.h"
#include "io/error.h"
#include "io/sha256.h"
#include "io/version.h"

namespace podpower::encode {
namespace {

using io::Sha256Hex;

static_assert(std::endian::native == std::endian::little,
              "the artifact stores little-endian float64; add byte swapping "
              "for this host");

constexpr int kVersion = 1;
constexpr std::string_view kMagic = "PODPOWER-ENCODER ";
constexpr std::string_view kTrailerTag = "SHA256 ";
constexpr size_t kTrailerSize = 7 + 64 + 1;
constexpr size_t kMaxFileSize = size_t{256} << 20;

void AppendDoubles(std::string& out, const std::vector<double>& values) {
  const size_t at = out.size();
  out.resize(at + values.size() * sizeof(double));
  std::memcpy(out.data() + at, values.data(), values.size() * sizeof(double));
}

}  // namespace

void Encoder::Save(const std::string& path) const {
  nlohmann::ordered_json header;
  header["format"] = "podpower-encoder";
  header["version"] = kVersion;
  // Which build wrote the file (provenance only: Load ignores these keys).
  header["podpower_version"] = Version();
  header["podpower_commit"] = Commit();
  header["fit_records"] = fit_records_;
  header["dim"] = dim();
  header["numeric_features"] = std::vector<std::string>(
      kNumericFeatures.begin(), kNumericFeatures.end());
  header["categorical_features"] = std::vector<std::string>(
      kCategoricalFeatures.begin(), kCategoricalFeatures.end());
  header["categories"] = {{"runtime_class", categories_[0]},
                          {"node_type", categories_[1]}};
  if (text_info_.name.empty()) {
    header["text"] = nullptr;
  } else {
    header["text"] = {{"name", text_info_.name},
                      {"fingerprint", text_info_.fingerprint},
                      {"dim", text_info_.dim}};
  }
  header["arrays"] = nlohmann::ordered_json::array(
      {{{"name", "mean"}, {"dtype", "<f8"}, {"count", means_.size()}},
       {{"name", "scale"}, {"dtype", "<f8"}, {"count", scales_.size()}}});
  std::string payload;
  AppendDoubles(payload, means_);
  AppendDoubles(payload, scales_);
  header["payload_bytes"] = payload.size();

  std::string body = std::string(kMagic) + std::to_string(kVersion) + "\n" +
                     header.dump() + "\n";
  body += payload;
  body += std::string(kTrailerTag) + Sha256Hex(body) + "\n";
  io::AtomicFile file(path);
  file.stream().write(body.data(), static_cast<std::streamsize>(body.size()));
  file.Commit();
}

Encoder Encoder::Load(const std::string& path) {
  auto fail = [&](const std::string& why) -> Error {
    return Error(path + ": " + why);
  };
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw fail(std::string("cannot open encoder: ") + std::strerror(errno));
  std::string data;
  {
    std::stringstream ss;
    ss << in.rdbuf();
    data = ss.str();
  }
  if (data.size() > kMaxFileSize)
    throw fail("not a podpower encoder (file too large)");
  if (data.compare(0, kMagic.size(), kMagic) != 0) {
    throw fail(
        "not a podpower encoder file (expected it to start with "
        "\"PODPOWER-ENCODER\")");
  }
  if (data.size() < kMagic.size() + kTrailerSize ||
      data.compare(data.size() - kTrailerSize, kTrailerTag.size(),
                   kTrailerTag) != 0 ||
      data.back() != '\n') {
    throw fail("encoder file is truncated (no SHA256 trailer)");
  }
  std::string_view body(data.data(), data.size() - kTrailerSize);
  std::string stored(data, data.size() - kTrailerSize + kTrailerTag.size(), 64);
  if (Sha256Hex(body) != stored) {
    throw fail("encoder file is corrupt (SHA256 checksum mismatch)");
  }
  size_t eol = body.find('\n');
  std::string version(body.substr(kMagic.size(), eol - kMagic.size()));
  if (version != std::to_string(kVersion)) {
    throw fail("encoder format version " + version +
               ", this podpower reads version " + std::to_string(kVersion));
  }
  size_t header_end = body.find('\n', eol + 1);
  if (header_end == std::string_view::npos)
    throw fail("encoder header line missing");
  Encoder e;
  try {
    auto header =
        nlohmann::json::parse(body.substr(eol + 1, header_end - eol - 1));
    std::string_view payload = body.substr(header_end + 1);
    if (header.at("format") != "podpower-encoder" ||
        header.at("version") != kVersion) {
      throw fail("encoder header has the wrong format/version");
    }
    if (header.at("numeric_features").get<std::vector<std::string>>() !=
        std::vector<std::string>(kNumericFeatures.begin(),
                                 kNumericFeatures.end())) {
      throw fail(
          "encoder header: numeric_features differ from this podpower's");
    }
    if (header.at("payload_bytes").get<size_t>() != payload.size()) {
      throw fail("encoder payload is " + std::to_string(payload.size()) +
                 " bytes, header says " + header.at("payload_bytes").dump());
    }
    size_t offset = 0;
    for (const auto& array : header.at("arrays")) {
      const size_t count = array.at("count").get<size_t>();
      if (array.at("dtype") != "<f8" || count != kNumericFeatures.size() ||
          offset + count * sizeof(double) > payload.size()) {
        throw fail("encoder header: bad array entry " + array.dump());
      }
      std::vector<double> values(count);
      std::memcpy(values.data(), payload.data() + offset,
                  count * sizeof(double));
      offset += count * sizeof(double);
      const std::string name = array.at("name");
      if (name == "mean") {
        e.means_ = std::move(values);
      } else if (name == "scale") {
        e.scales_ = std::move(values);
      }
    }
    if (e.means_.size() != kNumericFeatures.size() ||
        e.scales_.size() != kNumericFeatures.size()) {
      throw fail("encoder payload lacks the mean or scale array");
    }
    e.categories_[0] = header.at("categories")
                           .at("runtime_class")
                           .get<std::vector<std::string>>();
    e.categories_[1] =
        header.at("categories").at("node_type").get<std::vector<std::string>>();
    for (auto& cats : e.categories_) {
      if (!std::is_sorted(cats.begin(), cats.end()))
        throw fail("encoder categories not sorted");
    }
    e.fit_records_ = header.at("fit_records").get<size_t>();
    const auto& text = header.at("text");
    if (!text.is_null()) {
      e.text_info_ = {text.at("name").get<std::string>(),
                      text.at("fingerprint").get<std::string>(),
                      text.at("dim").get<size_t>()};
      if (e.text_info_.name == "hash") {
        auto hashed = std::make_shared<HashedTextEmbedder>(e.text_info_.dim);
        if (hashed->fingerprint() != e.text_info_.fingerprint) {
          throw fail("encoder's hash text block has fingerprint " +
                     e.text_info_.fingerprint + ", this podpower computes " +
                     hashed->fingerprint());
        }
        e.text_ = std::move(hashed);
      }
    }
    if (header.at("dim").get<size_t>() != e.dim())
      throw fail("encoder header: dim mismatch");
  } catch (const nlohmann::json::exception& ex) {
    throw fail(std::string("encoder header is malformed: ") + ex.what());
  }
  return e;
}

}  // namespace podpower::encode
