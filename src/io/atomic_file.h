// Output files that appear whole or not at all.
//
// AtomicFile creates "<dir>/.<name>.<random>.tmp" next to the target; Commit()
// flushes, fsyncs and renames it over the target. If Commit() is never called
// (an exception, an early return), the destructor removes the temporary file. A
// process killed between the two leaves at most a hidden
// *.tmp file, never a partial target. Not thread-safe; one writer per object.
#ifndef PODPOWER_IO_ATOMIC_FILE_H_
#define PODPOWER_IO_ATOMIC_FILE_H_

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
  bool stream_open_ = false;
  bool committed_ = false;
};

// Writes `text` to `path` atomically ("-" means stdout).
void WriteTextFile(const std::string& path, const std::string& text);

}  // namespace podpower::io

#endif  // PODPOWER_IO_ATOMIC_FILE_H_
