// Which podpower this is: the semantic version and the git commit it was built
// from, for `--version`, the artifacts and reports it writes, and /metrics.
//
// The definitions are in version.cc, which the build generates in the build
// folder at every build (src/cli/version.cmake) and rewrites only when the
// commit or the tree's dirtiness changed. A new commit therefore recompiles
// that one file and relinks; no header carries the commit, so nothing else
// recompiles. Linked into the libraries that write artifacts (encode, model,
// evaluate, serve) and the binary. Constants: thread-safe, never fail.
#ifndef PODPOWER_IO_VERSION_H_
#define PODPOWER_IO_VERSION_H_

namespace podpower {

// Semantic version, project(VERSION) of the top CMakeLists.txt: "0.1.0".
const char* Version();

// Abbreviated commit of the source tree ("1a2b3c4"), "1a2b3c4-dirty" when
// tracked files differed from that commit at build time, "unknown" when the
// source was not a git checkout (or the configure-time PODPOWER_COMMIT when
// set, for builds from a copy of the tree).
const char* Commit();

// "podpower 0.1.0 (commit 1a2b3c4)": what `podpower --version` prints.
const char* VersionLine();

}  // namespace podpower

#endif  // PODPOWER_IO_VERSION_H_
