#include "sockchat/chat/sanitize.h"

#include <gtest/gtest.h>

#include <string>

using sockchat::chat::sanitizeText;

namespace {
const std::string kFffd = "\xEF\xBF\xBD";
}

TEST(Sanitize, PlainAndMultibyteTextIsUnchanged) {
    EXPECT_EQ(sanitizeText("plain text"), "plain text");
    EXPECT_EQ(sanitizeText("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
              "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    EXPECT_EQ(sanitizeText(""), "");
}

TEST(Sanitize, CsiSequencesAreRemovedWhole) {
    EXPECT_EQ(sanitizeText("\x1b[2J\x1b[1;31mred\x1b[0m"), "red");
    EXPECT_EQ(sanitizeText("a\x1b[?1049hb"), "ab");     // private parameters
    EXPECT_EQ(sanitizeText("x\x1b[38;5;196my"), "xy");  // 256-colour
    EXPECT_EQ(sanitizeText("cut\x1b[12;3"), "cut");     // unterminated: to the end
}

TEST(Sanitize, OscAndOtherStringSequencesAreRemovedWhole) {
    EXPECT_EQ(sanitizeText("a\x1b]0;title\x07"
                           "b\x1b]2;t\x1b\\c"),
              "abc");
    EXPECT_EQ(sanitizeText("a\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\"), "alink");  // hyperlink
    EXPECT_EQ(sanitizeText("a\x1bPq#0;1\x1b\\b"), "ab");  // DCS (sixel)
    EXPECT_EQ(sanitizeText("a\x1b_apc\x1b\\b"), "ab");
    EXPECT_EQ(sanitizeText("t\x1b]0;never ends"), "t");
}

TEST(Sanitize, TwoByteEscapesAreRemoved) {
    EXPECT_EQ(sanitizeText("a\x1b"
                           "cb"),
              "ab");                            // RIS: full reset
    EXPECT_EQ(sanitizeText("a\x1b(0b"), "ab");  // charset designation (DEC line drawing)
    EXPECT_EQ(sanitizeText("a\x1b%Gb"), "ab");
    EXPECT_EQ(sanitizeText("end\x1b"), "end");
}

TEST(Sanitize, ControlCharactersAreDroppedAndTabBecomesASpace) {
    EXPECT_EQ(sanitizeText("bell\x07 nul"), "bell nul");
    EXPECT_EQ(sanitizeText(std::string("x\0y", 3)), "xy");
    EXPECT_EQ(sanitizeText("back\bspace\rcr\x7f"), "backspacecr");
    EXPECT_EQ(sanitizeText("tab\there"), "tab here");
    // C1 controls as UTF-8 (U+0080..U+009F), including the 8-bit CSI and OSC introducers.
    EXPECT_EQ(sanitizeText("c1\xc2\x9b"
                           "31m"),
              "c131m");
    EXPECT_EQ(sanitizeText("\xc2\x9d"
                           "0;t\xc2\x85x"),
              "0;tx");
}

TEST(Sanitize, InvalidUtf8BecomesReplacementCharacters) {
    EXPECT_EQ(sanitizeText("bad\xff"), "bad" + kFffd);
    EXPECT_EQ(sanitizeText("caf\xc3"), "caf" + kFffd);               // truncated
    EXPECT_EQ(sanitizeText("\xc3x"), kFffd + "x");                   // bad continuation
    EXPECT_EQ(sanitizeText("\x80"), kFffd);                          // lone continuation
    EXPECT_EQ(sanitizeText("\xc0\xaf"), kFffd + kFffd);              // overlong '/'
    EXPECT_EQ(sanitizeText("\xed\xa0\x80"), kFffd + kFffd + kFffd);  // surrogate
    EXPECT_EQ(sanitizeText("\xf4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);  // > U+10FFFF
    // A raw 8-bit CSI byte is invalid UTF-8, so it cannot reach a terminal either.
    EXPECT_EQ(sanitizeText("\x9b"
                           "2J"),
              kFffd + "2J");
}

TEST(Sanitize, OutputIsAlwaysValidAndControlFree) {
    // Every single byte and every byte pair: the output must hold no byte < 0x20, no DEL and
    // no ESC, whatever the input.
    for (int a = 0; a < 256; ++a) {
        for (int b = 0; b < 256; b += 7) {
            std::string in{static_cast<char>(a), static_cast<char>(b), 'z'};
            std::string out = sanitizeText(in);
            for (unsigned char c : out) {
                ASSERT_FALSE(c < 0x20 || c == 0x7f) << a << "," << b;
            }
            ASSERT_EQ(sanitizeText(out), out) << "not idempotent for " << a << "," << b;
        }
    }
}
