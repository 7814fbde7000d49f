// Shared pieces of the libFuzzer targets in fuzz/ (and of their replay under
// `make test`, fuzz/replay/).
//
// A target calls one podpower parser on the fuzzer's bytes and checks the
// parser's failure contract: a rejected input throws podpower::Error (one line
// for the user) and nothing else. RejectOnlyWithError runs the call and aborts
// the process, which libFuzzer reports as a crash and saves the input, when any
// other exception escapes (a nlohmann type_error, std::out_of_range,
// YAML::BadConversion, ...): the CLI would then print no file/line, and the
// server would answer 500 instead of 4xx. Crashes, sanitizer reports, time and
// memory limits are libFuzzer's to catch.
//
// Not thread-safe: libFuzzer calls a target from one thread.
#ifndef PODPOWER_FUZZ_FUZZ_SUPPORT_H_
#define PODPOWER_FUZZ_FUZZ_SUPPORT_H_

#include <cxxabi.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>

#include "io/error.h"

namespace podpower::fuzz {

inline std::string Text(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Aborts with the escaped exception's type and message (a failed contract).
[[noreturn]] inline void ContractBroken(const std::exception& e) {
  int status = 0;
  const char* mangled = typeid(e).name();
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  std::fprintf(stderr,
               "fuzz: contract broken: a rejected input must throw "
               "podpower::Error, got %s: %s\n",
               status == 0 ? name.get() : mangled, e.what());
  std::abort();
}

// Runs `parse`; podpower::Error is an accepted way to refuse the input, any
// other exception breaks the contract. Returns true when `parse` returned.
template <typename F>
bool RejectOnlyWithError(F&& parse) {
  try {
    parse();
    return true;
  } catch (const Error&) {
    return false;
  } catch (const std::exception& e) {
    ContractBroken(e);
  }
}

// A private folder for parsers that read files (kubeconfig, safetensors,
// tokenizer.json), removed at exit. Files are rewritten for each input.
class ScratchDir {
 public:
  static ScratchDir& Get() {
    static ScratchDir dir;
    return dir;
  }
  const std::string& path() const { return path_; }

  // Writes `bytes` to <dir>/<name> (replacing it) and returns the path.
  std::string Write(const std::string& name, std::string_view bytes) const {
    std::string file = path_ + "/" + name;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      std::fprintf(stderr, "fuzz: cannot write %s\n", file.c_str());
      std::abort();
    }
    return file;
  }

  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

 private:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
        "/podpower-fuzz-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("fuzz: mkdtemp");
      std::abort();
    }
    path_ = pattern;
  }
  std::string path_;
};

}  // namespace podpower::fuzz

#endif  // PODPOWER_FUZZ_FUZZ_SUPPORT_H_
