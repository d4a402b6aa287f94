#include <gtest/gtest.h>

#include "sockchat/chat/line_splitter.h"
#include "sockchat/chat/names.h"
#include "sockchat/chat/sanitize.h"
#include "sockchat/chat/token_bucket.h"

using namespace sockchat::chat;

namespace {
struct Collected {
    std::vector<std::string> lines;
    int overlong = 0;
    void feed(LineSplitter& s, std::string_view bytes) {
        s.feed(
            bytes, [&](std::string_view l) { lines.emplace_back(l); }, [&] { ++overlong; });
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
    s.flushPartial([&](std::string_view l) { c.lines.emplace_back(l); });
    EXPECT_EQ(c.lines.back(), "three");
    EXPECT_FALSE(s.hasPartial());
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
}

TEST(Sanitize, StripsEscapesAndControlsAndReplacesInvalidUtf8) {
    EXPECT_EQ(sanitizeText("plain text"), "plain text");
    EXPECT_EQ(sanitizeText("\x1b[2J\x1b[1;31mred\x1b[0m"), "red");
    EXPECT_EQ(sanitizeText("a\x1b]0;title\x07"
                           "b\x1b]2;t\x1b\\c"),
              "abc");
    EXPECT_EQ(sanitizeText("bell\x07 nul"), "bell nul");
    EXPECT_EQ(std::string(sanitizeText(std::string("x\0y", 3))), "xy");
    EXPECT_EQ(sanitizeText("tab\there"), "tab here");
    EXPECT_EQ(sanitizeText("c1\xc2\x9b"
                           "31m"),
              "c131m");
    EXPECT_EQ(sanitizeText("bad\xff"), "bad\xEF\xBF\xBD");
    EXPECT_EQ(sanitizeText("\xc0\xaf"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
    EXPECT_EQ(sanitizeText("\xed\xa0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
    EXPECT_EQ(sanitizeText("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
              "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

TEST(TokenBucket, BurstThenRate) {
    auto t0 = TokenBucket::Clock::now();
    TokenBucket b(2.0, 3.0, t0);
    EXPECT_TRUE(b.take(t0));
    EXPECT_TRUE(b.take(t0));
    EXPECT_TRUE(b.take(t0));
    EXPECT_FALSE(b.take(t0));
    EXPECT_TRUE(b.take(t0 + std::chrono::milliseconds(500)));  // 2/s: one token after 0.5 s
    EXPECT_FALSE(b.take(t0 + std::chrono::milliseconds(600)));
    EXPECT_TRUE(b.take(t0 + std::chrono::seconds(100)));  // refills, capped at burst
    EXPECT_TRUE(b.take(t0 + std::chrono::seconds(100)));
    EXPECT_TRUE(b.take(t0 + std::chrono::seconds(100)));
    EXPECT_FALSE(b.take(t0 + std::chrono::seconds(100)));
}

TEST(Names, CharsetLengthAndCaseFolding) {
    EXPECT_FALSE(validateName("alice_1.b-c", "nick"));
    EXPECT_TRUE(validateName("", "nick"));
    EXPECT_TRUE(validateName(std::string(33, 'a'), "nick"));
    EXPECT_FALSE(validateName(std::string(32, 'a'), "nick"));
    EXPECT_EQ(*validateName("al ice", "room"), "room must be 1-32 characters of A-Z a-z 0-9 - _ .");
    EXPECT_TRUE(validateName("caf\xc3\xa9", "nick"));
    EXPECT_EQ(foldCase("AlIcE"), "alice");
}
