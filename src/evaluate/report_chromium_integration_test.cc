// The HTML report renders in a real browser: Debian's headless Chromium loads
// it, takes a screenshot (kept in the test's output folder) and logs no
// console errors; its DOM holds the charts.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "evaluate/evaluate.h"
#include "model/oracle_test_util.h"

namespace podpower::evaluate {
namespace {

std::string Slurp(const std::string& path) {
  return model::testing::ReadText(path);
}

TEST(ReportInChromium, renders_without_console_errors_and_screenshots) {
  const char* chromium = "/usr/bin/chromium";
  if (!std::filesystem::exists(chromium)) {
    GTEST_SKIP() << chromium
                 << " missing (apt-get install chromium; see "
                    "scripts/install-deps.sh)";
  }
  const std::filesystem::path out =
      std::filesystem::path(PODPOWER_BINARY_DIR) / "test-output" / "evaluate";
  std::filesystem::create_directories(out);
  EvaluateOptions o;
  o.train_path = std::string(PODPOWER_SOURCE_DIR) +
                 "/examples/data/cluster-a/train_rows.parquet";
  o.report_path = (out / "report.html").string();
  o.compare_line = "CV MAE 8.106 (the original's run)";
  std::ostringstream text, log;
  RunEvaluate(o, text, log);

  model::testing::TempDir profile;
  const std::string png = (out / "report.png").string();
  std::filesystem::remove(png);
  const std::string flags =
      " --headless --no-sandbox --disable-gpu --disable-background-networking "
      "--disable-component-update --disable-sync --no-first-run "
      "--enable-logging=stderr --v=0 --user-data-dir='" +
      profile.path().string() + "' ";
  const std::string url = "file://" + o.report_path;
  const std::string shot = std::string("timeout 120 ") + chromium + flags +
                           "--window-size=1100,2400 --screenshot='" + png +
                           "' '" + url + "' >'" + (profile / "shot.log") +
                           "' 2>&1";
  ASSERT_EQ(std::system(shot.c_str()), 0) << Slurp(profile / "shot.log");
  ASSERT_TRUE(std::filesystem::exists(png)) << Slurp(profile / "shot.log");
  const std::string image = Slurp(png);
  ASSERT_GT(image.size(), 10000u) << "screenshot suspiciously small";
  EXPECT_EQ(image.substr(1, 3), "PNG");

  const std::string dom =
      std::string("timeout 120 ") + chromium + flags + "--dump-dom '" + url +
      "' >'" + (profile / "dom.html") + "' 2>'" + (profile / "dom.log") + "'";
  ASSERT_EQ(std::system(dom.c_str()), 0) << Slurp(profile / "dom.log");
  const std::string rendered = Slurp(profile / "dom.html");
  EXPECT_NE(rendered.find("<svg"), std::string::npos);
  EXPECT_NE(rendered.find("Worst predictions"), std::string::npos);
  for (const std::string& logfile :
       {profile / "shot.log", profile / "dom.log"}) {
    std::istringstream lines(Slurp(logfile));
    for (std::string line; std::getline(lines, line);) {
      EXPECT_EQ(line.find("CONSOLE"), std::string::npos) << line;
      EXPECT_EQ(line.find("Uncaught"), std::string::npos) << line;
    }
  }
  std::cout << "screenshot: " << png << "\n";
}

}  // namespace
}  // namespace podpower::evaluate
