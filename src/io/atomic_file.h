// Output files that appear whole or not at all.
//
// AtomicFile creates "<dir>/.<name>.podpower-tmp-<pid>-<random>" next to the
// target and holds an flock(2) on it; Commit() flushes, fsyncs and renames it
// over the target. If Commit() is never called (an exception, an early return),
// the destructor removes the temporary file. A process killed in between (even
// by SIGKILL) leaves the target as it was (the complete previous file, or no
// file) plus at most one hidden temporary file, never a partial target; the
// next AtomicFile created in that folder removes such leftovers
// (RemoveStaleTemporaryFiles). Not thread-safe; one writer per object.
#ifndef PODPOWER_IO_ATOMIC_FILE_H_
#define PODPOWER_IO_ATOMIC_FILE_H_

#include <cstddef>
#include <fstream>
#include <string>

namespace podpower::io {

class AtomicFile {
 public:
  // Throws podpower::Error "<target>: cannot create output: <reason>" when the
  // folder is missing or not writable.
  explicit AtomicFile(std::string target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Where to write: a stream on the temporary file, or its path for writers
  // that open it themselves (DuckDB's COPY).
  std::ofstream& stream();
  const std::string& temp_path() const { return temp_path_; }
  const std::string& target() const { return target_; }

  // Renames the temporary file into place. Throws podpower::Error on a failed
  // write or rename.
  void Commit();

 private:
  std::string target_;
  std::string temp_path_;
  std::ofstream stream_;
  int lock_fd_ = -1;  // holds the flock that marks the temp file as in use
  bool stream_open_ = false;
  bool committed_ = false;
};

// Removes from `folder` the temporary files of writers that were killed:
// regular files named ".<name>.podpower-tmp-<pid>-<random>" (AtomicFile's) or
// "tmp_" + such a name (left by DuckDB's own USE_TMP_FILE step when a COPY into
// an AtomicFile's temp path is killed), and folders named such a name +
// ".spill" (a writer's DuckDB spill folder beside its temp file, removed with
// everything in it), when both
//   - <pid> is not a running process (kill(pid, 0) fails with ESRCH), and
//   - no process holds an flock on the file (for a "tmp_" file: on the
//     AtomicFile temp it belongs to, if that still exists).
// A live writer's file is never removed: its pid answers kill(), and its flock
// covers a pid from another pid namespace sharing the folder. A dead pid
// reused by an unrelated process only delays the removal. Entries that do not
// match exactly, symlinks, and folders other than spill folders are left alone.
// Best effort: returns the number removed and never throws (an unreadable
// folder removes nothing).
size_t RemoveStaleTemporaryFiles(const std::string& folder);

// Writes `text` to `path` atomically ("-" means stdout).
void WriteTextFile(const std::string& path, const std::string& text);

}  // namespace podpower::io

#endif  // PODPOWER_IO_ATOMIC_FILE_H_
