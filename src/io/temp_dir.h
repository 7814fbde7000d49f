// A fresh private folder for tests and benchmarks.
//
// mkdtemp under $TMPDIR (default /tmp), so concurrent test processes (ctest -j,
// a release and an ASan run side by side) never share one. The caller owns the
// folder and removes it. Throws podpower::Error when it cannot be created.
#ifndef PODPOWER_IO_TEMP_DIR_H_
#define PODPOWER_IO_TEMP_DIR_H_

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "io/error.h"

namespace podpower::io {

inline std::string MakeTempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string path =
      std::string(base && *base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  if (mkdtemp(path.data()) == nullptr)
    throw Error(path +
                ": cannot create temporary folder: " + std::strerror(errno));
  return path;
}

}  // namespace podpower::io

#endif  // PODPOWER_IO_TEMP_DIR_H_
