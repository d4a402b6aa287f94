#include "sockchat/chat/line_splitter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using sockchat::chat::LineSplitter;

namespace {

struct Collected {
    std::vector<std::string> lines;
    int overlong = 0;
    void feed(LineSplitter& s, std::string_view bytes) {
        s.feed(
            bytes, [&](std::string_view l) { lines.emplace_back(l); }, [&] { ++overlong; });
    }
    void flush(LineSplitter& s) {
        s.flushPartial([&](std::string_view l) { lines.emplace_back(l); }, [&] { ++overlong; });
    }
};

}  // namespace

TEST(LineSplitter, SplitsOnNewlineDropsCrAndKeepsPartials) {
    LineSplitter s(64);
    Collected c;
    c.feed(s, "one\r\ntw");
    EXPECT_EQ(c.lines, (std::vector<std::string>{"one"}));
    EXPECT_TRUE(s.hasPartial());
    c.feed(s, "o\n\nthree");
    EXPECT_EQ(c.lines, (std::vector<std::string>{"one", "two", ""}));
    c.flush(s);
    EXPECT_EQ(c.lines.back(), "three");
    EXPECT_FALSE(s.hasPartial());
}

TEST(LineSplitter, OnlyOneTrailingCrIsDroppedAndInnerCrsStay) {
    LineSplitter s(64);
    Collected c;
    c.feed(s, "a\rb\r\r\n");
    EXPECT_EQ(c.lines, (std::vector<std::string>{"a\rb\r"}));
}

TEST(LineSplitter, CrLfSplitAcrossReads) {
    LineSplitter s(64);
    Collected c;
    c.feed(s, "hello\r");
    c.feed(s, "\nworld\n");
    EXPECT_EQ(c.lines, (std::vector<std::string>{"hello", "world"}));
}

TEST(LineSplitter, FlushedPartialDropsItsCr) {
    LineSplitter s(64);
    Collected c;
    c.feed(s, "typed\r");
    c.flush(s);
    EXPECT_EQ(c.lines, (std::vector<std::string>{"typed"}));
    c.flush(s);  // nothing buffered: nothing happens
    EXPECT_EQ(c.lines.size(), 1u);
}

TEST(LineSplitter, OverlongLineIsReportedOnceAndDiscardedToItsNewline) {
    LineSplitter s(8);
    Collected c;
    c.feed(s, "12345678\n");  // exactly the limit
    c.feed(s, std::string(20, 'x'));
    c.feed(s, std::string(20, 'y'));
    c.feed(s, "tail\nok\n");
    EXPECT_EQ(c.overlong, 1);
    EXPECT_EQ(c.lines, (std::vector<std::string>{"12345678", "ok"}));
    c.feed(s, "123456789\r\n");  // one over, complete in one read
    EXPECT_EQ(c.overlong, 2);
    c.feed(s, "12345678\r");  // at the limit, its "\n" still to come
    c.feed(s, "\n");
    EXPECT_EQ(c.lines.back(), "12345678");
    EXPECT_EQ(c.overlong, 2);
}

TEST(LineSplitter, PartialTimeoutEndsADiscard) {
    // An overlong line without a newline, then silence: the timeout ends it, so the next
    // line the client types is not swallowed.
    LineSplitter s(4);
    Collected c;
    c.feed(s, "0123456789");
    EXPECT_EQ(c.overlong, 1);
    EXPECT_TRUE(s.hasPartial());
    c.flush(s);
    EXPECT_TRUE(c.lines.empty());
    EXPECT_FALSE(s.hasPartial());
    c.feed(s, "ok\n");
    EXPECT_EQ(c.lines, (std::vector<std::string>{"ok"}));
}

TEST(LineSplitter, ManyLinesInOneReadAndANewLimit) {
    LineSplitter s(16);
    Collected c;
    c.feed(s, "a\nbb\nccc\n");
    EXPECT_EQ(c.lines, (std::vector<std::string>{"a", "bb", "ccc"}));
    s.setMaxLineBytes(2);
    c.feed(s, "ddd\nee\n");
    EXPECT_EQ(c.overlong, 1);
    EXPECT_EQ(c.lines.back(), "ee");
}

// Found by tests/fuzz/chat_input_fuzz: an unfinished line of max + 1 bytes (the slack kept for a
// "\r") must not reach the chat as a line when the partial-line timeout flushes it.
TEST(LineSplitter, AFlushedPartialOverTheLimitIsOverlong) {
    LineSplitter s(4);
    Collected c;
    c.feed(s, "abcde");
    EXPECT_EQ(c.overlong, 0);
    c.flush(s);
    EXPECT_TRUE(c.lines.empty());
    EXPECT_EQ(c.overlong, 1);
    c.feed(s, "abcd\r");
    c.flush(s);
    EXPECT_EQ(c.lines, (std::vector<std::string>{"abcd"}));
}
