#include "io/atomic_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

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

}  // namespace
}  // namespace podpower::io
