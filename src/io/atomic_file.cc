#include "io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

#include "io/error.h"

namespace podpower::io {
namespace {

std::string Reason(int err) { return std::strerror(err); }

// A name no other writer picks: several podpower processes may write into one
// folder.
std::string RandomSuffix() {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device device;
  std::mt19937_64 engine((static_cast<uint64_t>(device()) << 32) ^ device() ^
                         static_cast<uint64_t>(getpid()));
  std::uniform_int_distribution<size_t> pick(0, sizeof(kAlphabet) - 2);
  std::string suffix;
  for (int i = 0; i < 12; ++i) suffix.push_back(kAlphabet[pick(engine)]);
  return suffix;
}

// The rename is durable only once the folder entry itself is on disk; best
// effort.
void SyncFolder(const std::string& folder) {
  int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

AtomicFile::AtomicFile(std::string target) : target_(std::move(target)) {
  if (target_.empty()) throw Error("cannot create output: empty path");
  const std::filesystem::path path(target_);
  const std::string name = path.filename().string();
  const std::string parent = path.parent_path().string();
  const std::string folder = parent.empty() ? std::string(".") : parent;
  if (name.empty() || name == "." || name == "..") {
    throw Error(target_ + ": cannot create output: not a file name");
  }
  struct stat st;
  if (::stat(target_.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    throw Error(target_ + ": cannot create output: is a directory");
  }
  // O_EXCL: never reuse (and later delete) a file that someone else created.
  for (int attempt = 0;; ++attempt) {
    temp_path_ = folder + "/." + name + "." + RandomSuffix() + ".tmp";
    int fd = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                    0666);
    if (fd >= 0) {
      ::close(fd);
      return;
    }
    if (errno == EEXIST && attempt < 8) continue;
    const int err = errno;
    temp_path_.clear();
    throw Error(target_ + ": cannot create output: " + Reason(err));
  }
}

AtomicFile::~AtomicFile() {
  if (committed_ || temp_path_.empty()) return;
  if (stream_open_) stream_.close();
  ::unlink(temp_path_.c_str());
}

std::ofstream& AtomicFile::stream() {
  if (!stream_open_) {
    stream_.open(temp_path_, std::ios::binary | std::ios::trunc);
    if (!stream_)
      throw Error(target_ + ": cannot create output: cannot open " +
                  temp_path_);
    stream_open_ = true;
  }
  return stream_;
}

void AtomicFile::Commit() {
  if (committed_) throw Error(target_ + ": output already committed");
  if (stream_open_) {
    stream_.flush();
    const bool ok = static_cast<bool>(stream_);
    stream_.close();
    stream_open_ = false;
    if (!ok || stream_.fail())
      throw Error(target_ + ": write failed (disk full?)");
  }
  // Flush what was written (by us or by another writer such as DuckDB) before
  // it gets its name, so a crash never leaves a named but empty file.
  int fd = ::open(temp_path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(target_ + ": write failed: " + Reason(errno));
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    throw Error(target_ + ": write failed: " + Reason(err));
  }
  ::close(fd);
  if (std::rename(temp_path_.c_str(), target_.c_str()) != 0) {
    throw Error(target_ + ": cannot replace output: " + Reason(errno));
  }
  committed_ = true;
  std::string folder = std::filesystem::path(target_).parent_path().string();
  SyncFolder(folder.empty() ? "." : folder);
}

void WriteTextFile(const std::string& path, const std::string& text) {
  if (path == "-") {
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() ||
        std::fflush(stdout) != 0) {
      throw Error("stdout: write failed");
    }
    return;
  }
  AtomicFile file(path);
  file.stream() << text;
  file.Commit();
}

}  // namespace podpower::io
