#include "io/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <vector>

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

// The marker between the target's name and the writer's pid; the one place
// the temporary name's shape is defined (RemoveStaleTemporaryFiles parses it).
constexpr char kTempMarker[] = ".podpower-tmp-";
// DuckDB's COPY ... TO 'x' (USE_TMP_FILE, its default when 'x' exists) writes
// "tmp_x" beside x first and renames it.
constexpr char kDuckDbPrefix[] = "tmp_";
// A folder "<temp path>.spill" holds DuckDB's spill files of a writer that
// needs them (join); it goes with its temp file.
constexpr char kSpillSuffix[] = ".spill";

// The pid in "<.name>.podpower-tmp-<pid>-<random>", or 0 when `file` is not
// exactly that shape (a leading dot, the marker, digits, '-', a non-empty
// alphanumeric suffix).
pid_t TempOwner(const std::string& file) {
  if (file.size() < 2 || file[0] != '.') return 0;
  const size_t marker = file.rfind(kTempMarker);
  if (marker == std::string::npos || marker == 0) return 0;
  size_t i = marker + sizeof(kTempMarker) - 1;
  const size_t digits = i;
  long long pid = 0;
  while (i < file.size() && file[i] >= '0' && file[i] <= '9' &&
         i - digits < 10) {
    pid = pid * 10 + (file[i] - '0');
    ++i;
  }
  if (i == digits || i >= file.size() || file[i] != '-' || pid <= 0 ||
      pid > INT32_MAX)
    return 0;
  if (++i == file.size()) return 0;
  for (; i < file.size(); ++i) {
    if (!std::isalnum(static_cast<unsigned char>(file[i]))) return 0;
  }
  return static_cast<pid_t>(pid);
}

bool ProcessGone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

// True when some process holds an flock on `name` (a live AtomicFile), false
// when it is free or gone. Opened without following symlinks and without
// blocking on FIFOs.
bool Locked(int dir_fd, const std::string& name) {
  int fd = ::openat(dir_fd, name.c_str(),
                    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  // Unopenable for another reason than absence: keep it, to be safe.
  if (fd < 0) return errno != ENOENT;
  const bool locked =
      ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // also drops the lock we may just have taken
  return locked;
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

size_t RemoveStaleTemporaryFiles(const std::string& folder) {
  const std::string dir = folder.empty() ? std::string(".") : folder;
  DIR* listing = ::opendir(dir.c_str());
  if (listing == nullptr) return 0;
  const int dir_fd = ::dirfd(listing);
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(listing)) {
    const std::string name = entry->d_name;
    if (name.find(kTempMarker) != std::string::npos) names.push_back(name);
  }
  size_t removed = 0;
  const std::string spill_suffix = kSpillSuffix;
  for (const std::string& name : names) {
    const bool duckdb = name.rfind(kDuckDbPrefix, 0) == 0;
    const bool spill = !duckdb && name.size() > spill_suffix.size() &&
                       name.compare(name.size() - spill_suffix.size(),
                                    spill_suffix.size(), spill_suffix) == 0;
    // The AtomicFile temp whose lock speaks for this entry.
    std::string own = name;
    if (duckdb) own = name.substr(sizeof(kDuckDbPrefix) - 1);
    if (spill) own = name.substr(0, name.size() - spill_suffix.size());
    const pid_t pid = TempOwner(own);
    if (pid == 0 || pid == ::getpid() || !ProcessGone(pid)) continue;
    struct stat st;
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !(spill ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode)))
      continue;
    if (Locked(dir_fd, own)) continue;
    if (spill) {
      std::error_code ec;  // remove_all does not follow symlinks inside
      if (std::filesystem::remove_all(std::filesystem::path(dir) / name, ec) >
              0 &&
          !ec)
        ++removed;
    } else if (::unlinkat(dir_fd, name.c_str(), 0) == 0) {
      ++removed;
    }
  }
  ::closedir(listing);
  return removed;
}

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
  // Leftovers of killed writers go before they pile up (any target in this
  // folder: the next writer of the same path is one of them).
  RemoveStaleTemporaryFiles(folder);
  // O_EXCL: never reuse (and later delete) a file that someone else created.
  // The pid in the name and the flock let RemoveStaleTemporaryFiles tell a
  // live writer's file from a dead one's.
  for (int attempt = 0;; ++attempt) {
    temp_path_ = folder + "/." + name + kTempMarker +
                 std::to_string(::getpid()) + "-" + RandomSuffix();
    int fd = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                    0666);
    if (fd >= 0) {
      // Cannot fail on a file no one else has opened yet; an unlocked temp
      // only loses the namespace guard, the pid guard remains.
      ::flock(fd, LOCK_EX | LOCK_NB);
      lock_fd_ = fd;
      return;
    }
    if (errno == EEXIST && attempt < 8) continue;
    const int err = errno;
    temp_path_.clear();
    throw Error(target_ + ": cannot create output: " + Reason(err));
  }
}

AtomicFile::~AtomicFile() {
  if (!committed_ && !temp_path_.empty()) {
    if (stream_open_) stream_.close();
    ::unlink(temp_path_.c_str());
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
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
  ::close(lock_fd_);
  lock_fd_ = -1;
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
