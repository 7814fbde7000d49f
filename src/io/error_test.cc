#include "io/error.h"

#include <gtest/gtest.h>

namespace podpower {
namespace {

TEST(OneLine, line_breaks_become_single_spaces_and_text_is_kept) {
  EXPECT_EQ(OneLine("Binder Error: no column \"x\"\n\nLINE 1: SELECT x\r\n"),
            "Binder Error: no column \"x\" LINE 1: SELECT x");
  EXPECT_EQ(OneLine("already one line"), "already one line");
  EXPECT_EQ(OneLine("ends with a space \nnext"), "ends with a space next");
  EXPECT_EQ(OneLine(""), "");
}

}  // namespace
}  // namespace podpower
