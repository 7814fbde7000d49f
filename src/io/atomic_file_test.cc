#include "io/atomic_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "io/error.h"
#include "io/testing.h"

namespace podpower::io {
namespace {

namespace fs = std::filesystem;
using podpower::testing::ReadFile;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A child process that opens an AtomicFile for `target`, writes a little,
// reports the temp path through a pipe and then waits to be killed: a writer
// caught mid-run by SIGKILL, as the crash-consistency tests kill podpower.
struct ChildWriter {
  pid_t pid = -1;
  std::string temp_path;
};

ChildWriter StartChildWriter(const std::string& target) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::close(fds[0]);
    AtomicFile* file = new AtomicFile(target);  // never destroyed: killed
    file->stream() << "partial" << std::flush;
    const std::string path = file->temp_path() + "\n";
    if (::write(fds[1], path.data(), path.size()) < 0) ::_exit(2);
    for (;;) ::pause();
  }
  ::close(fds[1]);
  std::string path;
  char c;
  while (::read(fds[0], &c, 1) == 1 && c != '\n') path.push_back(c);
  ::close(fds[0]);
  return {pid, path};
}

void KillAndReap(pid_t pid) {
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = podpower::testing::MakeTempDir("podpower_atomic");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<std::string> Entries() const {
    return podpower::testing::FileNames(dir_);
  }
  fs::path dir_;
};

TEST_F(AtomicFileTest, commit_puts_the_whole_file_in_place_and_leaves_no_temp) {
  const std::string target = (dir_ / "out.txt").string();
  {
    AtomicFile f(target);
    f.stream() << "hello\n";
    f.Commit();
  }
  EXPECT_EQ(ReadFile(target), "hello\n");
  EXPECT_EQ(Entries(), std::vector<std::string>{"out.txt"});
}

TEST_F(AtomicFileTest, temp_file_is_hidden_beside_the_target_until_commit) {
  const std::string target = (dir_ / "out.txt").string();
  AtomicFile f(target);
  EXPECT_EQ(fs::path(f.temp_path()).parent_path(), dir_);
  EXPECT_EQ(fs::path(f.temp_path()).filename().string().rfind(".out.txt.", 0),
            0u);
  EXPECT_TRUE(fs::exists(f.temp_path()));
  EXPECT_FALSE(fs::exists(target));
}

TEST_F(AtomicFileTest, throw_before_commit_leaves_no_file_and_no_temp) {
  const std::string target = (dir_ / "out.txt").string();
  EXPECT_THROW(
      {
        AtomicFile f(target);
        f.stream() << "partial";
        throw std::runtime_error("boom");
      },
      std::runtime_error);
  EXPECT_TRUE(Entries().empty());
}

TEST_F(AtomicFileTest, uncommitted_write_keeps_the_old_file) {
  const std::string target = (dir_ / "out.txt").string();
  WriteTextFile(target, "old");
  {
    AtomicFile f(target);
    f.stream() << "new";
  }
  EXPECT_EQ(ReadFile(target), "old");
  EXPECT_EQ(Entries(), std::vector<std::string>{"out.txt"});
}

TEST_F(AtomicFileTest, missing_folder_is_a_user_error_naming_the_target) {
  const std::string target = (dir_ / "no" / "such" / "out.txt").string();
  try {
    AtomicFile f(target);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(target + ": cannot create output"));
  }
  EXPECT_TRUE(Entries().empty());
}

TEST_F(AtomicFileTest, directory_target_is_refused) {
  fs::create_directories(dir_ / "sub");
  EXPECT_THROW(AtomicFile((dir_ / "sub").string()), Error);
}

TEST_F(AtomicFileTest, write_text_file_replaces_content_exactly) {
  const std::string target = (dir_ / "a.json").string();
  WriteTextFile(target, "first version, longer");
  WriteTextFile(target, std::string("x\0y", 3));
  EXPECT_EQ(ReadFile(target), std::string("x\0y", 3));
  EXPECT_EQ(Entries(), std::vector<std::string>{"a.json"});
}

TEST_F(AtomicFileTest,
       file_written_by_another_writer_via_temp_path_is_committed) {
  const std::string target = (dir_ / "t.bin").string();
  AtomicFile f(target);
  {
    std::ofstream other(f.temp_path(), std::ios::binary | std::ios::trunc);
    other << "from duckdb";
  }
  f.Commit();
  EXPECT_EQ(ReadFile(target), "from duckdb");
}

TEST_F(AtomicFileTest, temp_name_carries_the_writers_pid) {
  AtomicFile f((dir_ / "out.txt").string());
  EXPECT_THAT(
      fs::path(f.temp_path()).filename().string(),
      StartsWith(".out.txt.podpower-tmp-" + std::to_string(getpid()) + "-"));
}

TEST_F(AtomicFileTest, live_writers_temp_is_kept_and_removed_once_killed) {
  const std::string target = (dir_ / "out.parquet").string();
  WriteTextFile(target, "old");
  const ChildWriter child = StartChildWriter(target);
  ASSERT_FALSE(child.temp_path.empty());
  ASSERT_TRUE(fs::exists(child.temp_path));

  EXPECT_EQ(RemoveStaleTemporaryFiles(dir_.string()), 0u);
  EXPECT_TRUE(fs::exists(child.temp_path)) << "a live writer's temp is kept";

  KillAndReap(child.pid);
  EXPECT_TRUE(fs::exists(child.temp_path));
  EXPECT_EQ(ReadFile(target), "old");
  EXPECT_EQ(RemoveStaleTemporaryFiles(dir_.string()), 1u);
  EXPECT_EQ(Entries(), std::vector<std::string>{"out.parquet"});
}

TEST_F(AtomicFileTest,
       next_writer_of_the_folder_removes_a_killed_writers_temp) {
  const std::string target = (dir_ / "model.joblib").string();
  const ChildWriter child = StartChildWriter(target);
  KillAndReap(child.pid);
  ASSERT_TRUE(fs::exists(child.temp_path));
  // Another target in the same folder: any later writer cleans up.
  WriteTextFile((dir_ / "other.json").string(), "{}");
  EXPECT_FALSE(fs::exists(child.temp_path));
  WriteTextFile(target, "new");
  EXPECT_EQ(ReadFile(target), "new");
  EXPECT_EQ(Entries(),
            (std::vector<std::string>{"model.joblib", "other.json"}));
}

TEST_F(AtomicFileTest, dead_pid_temp_still_flocked_is_kept) {
  // A writer in another pid namespace sharing the folder: its pid means
  // nothing here, its flock does.
  const ChildWriter child = StartChildWriter((dir_ / "x").string());
  KillAndReap(child.pid);  // child.pid is now (almost surely) unused
  const std::string name =
      ".y.podpower-tmp-" + std::to_string(child.pid) + "-abc123";
  podpower::testing::WriteFile((dir_ / name).string(), "in use");
  const int fd = ::open((dir_ / name).c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  EXPECT_EQ(RemoveStaleTemporaryFiles(dir_.string()), 1u);  // only ".x..."
  EXPECT_TRUE(fs::exists(dir_ / name));
  ::close(fd);
  EXPECT_EQ(RemoveStaleTemporaryFiles(dir_.string()), 1u);
  EXPECT_TRUE(Entries().empty());
}

TEST_F(AtomicFileTest, duckdb_tmp_copy_of_a_dead_writers_temp_is_removed) {
  const ChildWriter child = StartChildWriter((dir_ / "f.parquet").string());
  KillAndReap(child.pid);
  const std::string duck =
      "tmp_" + fs::path(child.temp_path).filename().string();
  podpower::testing::WriteFile((dir_ / duck).string(), "PAR1 partial");
  EXPECT_EQ(RemoveStaleTemporaryFiles(dir_.string()), 2u);
  EXPECT_TRUE(Entries().empty());
}

TEST_F(AtomicFileTest, dead_writers_spill_folder_is_removed_live_ones_kept) {
  const ChildWriter live = StartChildWriter((dir_ / "live.parquet").string());
  const ChildWriter dead = StartChildWriter((dir_ / "dead.parquet").string());
  KillAndReap(dead.pid);
  for (const auto* w : {&live, &dead}) {
    fs::create_directories(w->temp_path + ".spill/sub");
    podpower::testing::WriteFile(w->temp_path + ".spill/sub/duckdb.tmp", "x");
  }
  EXPECT_EQ(RemoveStaleTemporaryFiles(dir_.string()), 2u);  // file + folder
  EXPECT_FALSE(fs::exists(dead.temp_path + ".spill"));
  EXPECT_TRUE(fs::exists(live.temp_path + ".spill/sub/duckdb.tmp"));
  EXPECT_TRUE(fs::exists(live.temp_path));
  KillAndReap(live.pid);
  EXPECT_EQ(RemoveStaleTemporaryFiles(dir_.string()), 2u);
  EXPECT_TRUE(Entries().empty());
}

TEST_F(AtomicFileTest, cleanup_leaves_other_files_alone) {
  const ChildWriter child = StartChildWriter((dir_ / "gone").string());
  KillAndReap(child.pid);
  const std::string dead = std::to_string(child.pid);
  const std::vector<std::string> keep = {
      "notes.txt",
      ".out.txt.abc123def456.tmp",          // the old shape
      "x.podpower-tmp-" + dead + "-abc",    // not hidden
      ".x.podpower-tmp-" + dead + "-",      // no random part
      ".x.podpower-tmp-" + dead + "-ab.c",  // not alphanumeric
      ".x.podpower-tmp--abc",               // no pid
      ".x.podpower-tmp-" + std::to_string(getpid()) + "-abc",  // ours
      "tmp_notes.txt",
  };
  for (const auto& name : keep)
    podpower::testing::WriteFile((dir_ / name).string(), "keep");
  fs::create_directory(dir_ / (".d.podpower-tmp-" + dead + "-abc"));
  fs::create_symlink(dir_ / "notes.txt",
                     dir_ / (".l.podpower-tmp-" + dead + "-abc"));
  // A plain file named like a spill folder, and a spill folder of no temp.
  podpower::testing::WriteFile(
      (dir_ / (".s.podpower-tmp-" + dead + "-abc.spill")).string(), "keep");
  fs::create_directory(dir_ / (".t.podpower-tmp-" + dead + "-a.b.spill"));
  EXPECT_EQ(RemoveStaleTemporaryFiles(dir_.string()), 1u);  // the child's
  EXPECT_EQ(Entries().size(), keep.size() + 4);
  EXPECT_EQ(RemoveStaleTemporaryFiles((dir_ / "missing").string()), 0u);
}

}  // namespace
}  // namespace podpower::io
