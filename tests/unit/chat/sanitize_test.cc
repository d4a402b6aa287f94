#include "sockchat/chat/sanitize.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "sockchat/text/utf8.h"

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

namespace {
std::string utf8(char32_t cp) {
    std::string s;
    sockchat::text::encodeUtf8(cp, s);
    return s;
}

std::string codePointName(char32_t cp) {
    char name[16];
    std::snprintf(name, sizeof name, "U+%04X", static_cast<unsigned>(cp));
    return name;
}

// Every code point of [first, last] is removed from between two letters, and the code points
// just outside the range are kept.
void expectRangeRemoved(char32_t first, char32_t last) {
    for (char32_t cp = first; cp <= last; ++cp)
        EXPECT_EQ(sanitizeText("a" + utf8(cp) + "b"), "ab") << codePointName(cp);
}
void expectKept(char32_t cp) {
    EXPECT_EQ(sanitizeText("a" + utf8(cp) + "b"), "a" + utf8(cp) + "b") << codePointName(cp);
}
}  // namespace

TEST(Sanitize, BidiOverrideCannotReverseText) {
    // "exe.txt" after RLO would show as "txt.exe" on the reader's screen.
    EXPECT_EQ(sanitizeText("bidi \xe2\x80\xae"
                           "exe.txt"),
              "bidi exe.txt");
}

TEST(Sanitize, BidiControlsAreRemoved) {
    expectRangeRemoved(0x202A, 0x202E);  // LRE, RLE, PDF, LRO, RLO
    expectRangeRemoved(0x2066, 0x2069);  // LRI, RLI, FSI, PDI
    expectRangeRemoved(0x200E, 0x200F);  // LRM, RLM
    expectRangeRemoved(0x061C, 0x061C);  // Arabic letter mark
    expectKept(0x2030);                  // per mille sign
    expectKept(0x0620);
}

TEST(Sanitize, ZeroWidthAndOtherInvisibleCharactersAreRemoved) {
    expectRangeRemoved(0x200B, 0x200D);  // zero-width space, non-joiner, joiner (not in emoji)
    expectRangeRemoved(0x2060, 0x206F);  // word joiner, invisible operators, deprecated formats
    expectRangeRemoved(0xFEFF, 0xFEFF);  // BOM / zero-width no-break space
    expectRangeRemoved(0x00AD, 0x00AD);  // soft hyphen
    expectRangeRemoved(0x180E, 0x180E);  // Mongolian vowel separator
    expectKept(0x00AC);                  // not sign
    expectKept(0x00AE);                  // registered sign
    expectKept(0x200A);                  // hair space: visible width
    expectKept(0x2070);                  // superscript zero
    expectKept(0xFEFE);
    expectKept(0xFF01);
}

TEST(Sanitize, LineAndParagraphSeparatorsAreRemoved) {
    // A terminal or a JSON consumer may break the line there: output stays one line.
    expectRangeRemoved(0x2028, 0x2029);
    expectKept(0x2027);
}

TEST(Sanitize, TagAndInterlinearAnnotationCharactersAreRemoved) {
    expectRangeRemoved(0xE0000, 0xE007F);  // tags: invisible ASCII copies ("ASCII smuggling")
    expectRangeRemoved(0xFFF9, 0xFFFB);    // interlinear annotation anchor, separator, terminator
    expectKept(0xFFFC);                    // object replacement character is visible
    expectKept(0xFFFD);
    expectKept(0xE0100);  // variation selectors supplement: selects a glyph, hides nothing
}

TEST(Sanitize, OtherFormatControlsAreRemovedButVisibleSignsStay) {
    expectRangeRemoved(0x13430, 0x1343F);  // Egyptian hieroglyph format controls
    expectRangeRemoved(0x1BCA0, 0x1BCA3);  // shorthand format controls
    expectRangeRemoved(0x1D173, 0x1D17A);  // musical symbol beam/tie/slur/phrase controls
    // Category Cf too, but visible: the Arabic number sign and friends.
    for (char32_t cp : {0x0600u, 0x0605u, 0x06DDu, 0x070Fu, 0x08E2u, 0x110BDu}) expectKept(cp);
}

TEST(Sanitize, ZeroWidthJoinerStaysOnlyBetweenEmoji) {
    const std::string zwj = utf8(0x200D);
    const std::string man = utf8(0x1F468), woman = utf8(0x1F469), girl = utf8(0x1F467);
    const std::string family = man + zwj + woman + zwj + girl;
    EXPECT_EQ(sanitizeText(family), family);
    // Rainbow flag: white flag, emoji presentation selector, ZWJ, rainbow.
    const std::string rainbow = utf8(0x1F3F3) + utf8(0xFE0F) + zwj + utf8(0x1F308);
    EXPECT_EQ(sanitizeText(rainbow), rainbow);
    const std::string blackCat = utf8(0x1F408) + zwj + utf8(0x2B1B);
    EXPECT_EQ(sanitizeText(blackCat), blackCat);
    // Anywhere else it goes: between letters, at the ends, doubled, next to another control.
    EXPECT_EQ(sanitizeText("ad" + zwj + "min"), "admin");
    EXPECT_EQ(sanitizeText(zwj + man), man);
    EXPECT_EQ(sanitizeText(man + zwj), man);
    EXPECT_EQ(sanitizeText(man + zwj + zwj + woman), man + woman);
    EXPECT_EQ(sanitizeText(man + zwj + utf8(0x202E) + woman), man + woman);
    EXPECT_EQ(sanitizeText(man + utf8(0x202E) + zwj + woman), man + woman);
    EXPECT_EQ(sanitizeText(man + zwj + "\x1b[0m" + woman), man + woman);
}

TEST(Sanitize, EveryCodePointSanitisesIdempotently) {
    // Each code point alone, between letters and between emoji (where a ZWJ may stay): a second
    // pass changes nothing, and nothing invisible that the tests above name survives.
    const std::string man = utf8(0x1F468), zwj = utf8(0x200D);
    for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;  // not encodable
        for (const std::string& in :
             {"a" + utf8(cp) + "b", man + zwj + utf8(cp) + zwj + man, utf8(cp) + zwj + man}) {
            std::string out = sanitizeText(in);
            ASSERT_EQ(sanitizeText(out), out) << codePointName(cp);
            ASSERT_EQ(out.find("\xe2\x80\xae"), std::string::npos);
        }
    }
}
