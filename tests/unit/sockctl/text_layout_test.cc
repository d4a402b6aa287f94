// Display widths and wrapping of chat lines to the terminal: continuation rows under the text
// column, breaks at spaces, wide characters counted as two columns, colours carried over.
#include <gtest/gtest.h>

#include <string>

#include "line_wrap.h"
#include "text_width.h"

namespace sockctl {
namespace {

TEST(SockctlTextWidth, ColumnsNotBytes) {
    EXPECT_EQ(displayWidth("hello"), 5);
    EXPECT_EQ(displayWidth("h\xC3\xA9llo"), 5);              // é: 2 bytes, 1 column
    EXPECT_EQ(displayWidth("\xE4\xB8\xAD\xE6\x96\x87"), 4);  // 中文: 2 columns each
    EXPECT_EQ(displayWidth("\x1b[1;7malice\x1b[0m\a"), 5);   // escapes and BEL: none
}

TEST(SockctlWrap, TextColumnIsAfterTimeAndNick) {
    EXPECT_EQ(textColumn("[12:01] <alice> hi"), 16);
    EXPECT_EQ(textColumn("[12:01] <\x1b[36malice\x1b[0m> hi"), 16);
    EXPECT_EQ(textColumn("[12:01] [history] <bob> old"), 24);
    EXPECT_EQ(textColumn("[12:01] [msg from bob] psst"), 23);
    EXPECT_EQ(textColumn("[12:01] * bob waves"), 10);
    EXPECT_EQ(textColumn("[12:01] -!- bob joined #dev"), 12);
    EXPECT_EQ(textColumn("[12:01] -- connection lost"), 11);
    EXPECT_EQ(textColumn("no time"), 0);
}

TEST(SockctlWrap, ContinuationRowsAreIndentedUnderTheText) {
    EXPECT_EQ(wrapLine("[12:01] <alice> short", 40), "[12:01] <alice> short");
    EXPECT_EQ(wrapLine("[12:01] <alice> the quick brown fox jumps over the lazy dog", 36),
              "[12:01] <alice> the quick brown fox\n"
              "                jumps over the lazy\n"
              "                dog");
    // A word too long for a row is cut where the row ends.
    EXPECT_EQ(wrapLine("[12:01] <al> abcdefghijklmnopqrstuvwxyz", 30),
              "[12:01] <al> abcdefghijklmnopq\n"
              "             rstuvwxyz");
    // Every row fits.
    std::string rows = wrapLine("[12:01] <bob> " + std::string(200, 'x'), 50);
    for (std::size_t start = 0, nl; start < rows.size(); start = nl + 1) {
        nl = rows.find('\n', start);
        if (nl == std::string::npos) nl = rows.size();
        EXPECT_LE(displayWidth(rows.substr(start, nl - start)), 50);
    }
}

TEST(SockctlWrap, WideCharactersCountTwice) {
    // 中 is two columns: 8 of them fill 16, one row of 30 holds "[12:01] <al> " (13) + 8.
    std::string cjk;
    for (int i = 0; i < 10; ++i) cjk += "\xE4\xB8\xAD";
    EXPECT_EQ(wrapLine("[12:01] <al> " + cjk, 30),
              "[12:01] <al> " +
                  std::string("\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD"
                              "\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD") +
                  "\n             \xE4\xB8\xAD\xE4\xB8\xAD");
}

TEST(SockctlWrap, ColoursEndAtTheBreakAndResumeAfterTheIndent) {
    EXPECT_EQ(wrapLine("\x1b[2m[12:01] -!- bob joined #a-long-room-name\x1b[0m", 30),
              "\x1b[2m[12:01] -!- bob joined\x1b[0m\n"
              "            \x1b[2m#a-long-room-name\x1b[0m");
}

TEST(SockctlWrap, NarrowTerminalsDropTheIndent) {
    EXPECT_EQ(wrapLine("[12:01] <alice> one two three", 20), "[12:01] <alice> one\ntwo three");
}

}  // namespace
}  // namespace sockctl
