#include "io/progress.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pty.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace podpower::io {
namespace {

TEST(Progress, prints_nothing_when_stderr_is_not_a_terminal) {
  ::testing::internal::CaptureStderr();  // stderr becomes a file: not a tty
  {
    Progress p("encoding", 1000);
    for (int i = 0; i < 1000; ++i) p.Advance();
  }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(Progress, draws_counts_on_a_terminal) {
  int master = -1, slave = -1;
  if (::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) {
    GTEST_SKIP() << "openpty failed: no pseudo-terminals in this environment";
  }
  std::fflush(stderr);
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(slave, STDERR_FILENO);
  {
    Progress p("encoding", 10);
    for (int i = 0; i < 10; ++i) p.Advance();
  }
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(slave);
  ::fcntl(master, F_SETFL, O_NONBLOCK);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(master, buf, sizeof(buf))) > 0;)
    out.append(buf, n);
  ::close(master);
  EXPECT_NE(out.find("encoding: 10/10 (100%) done"), std::string::npos) << out;
}

}  // namespace
}  // namespace podpower::io
