#include "sockchat/text/quote.h"

#include <gtest/gtest.h>

#include <string>

#include "sockchat/config/loader.h"

using sockchat::text::quoteForMessage;

TEST(QuoteForMessage, PlainValuesAreJustQuoted) {
    EXPECT_EQ(quoteForMessage("4 KB"), "\"4 KB\"");
    EXPECT_EQ(quoteForMessage(""), "\"\"");
    EXPECT_EQ(quoteForMessage("grüße"), "\"grüße\"");
}

TEST(QuoteForMessage, ControlsQuotesAndBackslashesAreEscaped) {
    EXPECT_EQ(quoteForMessage(std::string("a\nb\0c\x1b[2J", 9)), "\"a\\x0ab\\x00c\\x1b[2J\"");
    EXPECT_EQ(quoteForMessage("say \"hi\" \\o/"), "\"say \\\"hi\\\" \\\\o/\"");
}

TEST(QuoteForMessage, LongValuesAreCutOnACharacterBoundary) {
    std::string many(200, 'x');
    EXPECT_EQ(quoteForMessage(many), "\"" + std::string(80, 'x') + "...\"");
    // 79 ASCII bytes, then a two-byte character across the cut: the character goes whole.
    std::string split = std::string(79, 'y') + "ü" + "tail";
    EXPECT_EQ(quoteForMessage(split), "\"" + std::string(79, 'y') + "...\"");
}

// Found by tests/fuzz/config_fuzz: a multi-line or binary value made the "one line naming file,
// line and key" error span lines and hundreds of bytes.
TEST(QuoteForMessage, AConfigErrorStaysOneShortLineWhateverTheValue) {
    auto result = sockchat::config::loadConfigString(
        "limits:\n  max_line_bytes: \"4 KB\n\n  and more\\0 text that goes on and on and on and on "
        "and on and on and on and on\"\n",
        "bad.yaml");
    ASSERT_TRUE(result.error);
    const std::string line = result.error->toString();
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    EXPECT_EQ(line.find('\0'), std::string::npos) << line;
    EXPECT_LT(line.size(), 200u) << line;
    EXPECT_EQ(line.rfind("bad.yaml:2:19: limits.max_line_bytes: \"4 KB\\x0a", 0), 0u) << line;
}

TEST(EscapeForMessage, ControlsAndBrokenUtf8BecomeHexTheRestStays) {
    using sockchat::text::escapeForMessage;
    EXPECT_EQ(escapeForMessage("plain \"text\" \\ grüße €"), "plain \"text\" \\ grüße €");
    EXPECT_EQ(escapeForMessage(std::string("a\nb\0c\x1b", 6)), "a\\x0ab\\x00c\\x1b");
    EXPECT_EQ(escapeForMessage("\xff\xfe"), "\\xff\\xfe");
    EXPECT_EQ(escapeForMessage("\xc3"), "\\xc3");                         // cut short
    EXPECT_EQ(escapeForMessage("\xc0\xaf"), "\\xc0\\xaf");                // overlong "/"
    EXPECT_EQ(escapeForMessage("\xed\xa0\x80"), "\\xed\\xa0\\x80");       // a surrogate
    EXPECT_EQ(escapeForMessage("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");  // U+1F600 stays
}

// Found by tests/fuzz/config_fuzz: yaml-cpp 0.7's LoadAll never returned (and ate memory) on a
// lone ",", and its own messages or a key as spelled in the file carried raw newlines.
TEST(ConfigFuzzFindings, ALoneCommaIsAnErrorNotAHang) {
    auto result = sockchat::config::loadConfigString("\n,\n", "bad.yaml");
    ASSERT_TRUE(result.error);
    EXPECT_EQ(result.error->toString(), "bad.yaml:2:1: not valid YAML: unexpected \",\"");
}

TEST(ConfigFuzzFindings, ParserMessagesAndKeysStayOneLine) {
    for (const std::string& yaml : {std::string("\xff\x00\n", 3), std::string("\xff\x00n:", 4)}) {
        auto result = sockchat::config::loadConfigString(yaml, "bad.yaml");
        ASSERT_TRUE(result.error);
        const std::string line = result.error->toString();
        EXPECT_EQ(line.find('\n'), std::string::npos) << line;
        EXPECT_EQ(line.find('\xff'), std::string::npos) << line;
        EXPECT_EQ(line.rfind("bad.yaml:", 0), 0u) << line;
    }
}

TEST(ConfigFuzzFindings, TwoDocumentsAreStillNamedAsSuch) {
    auto result = sockchat::config::loadConfigString("threads: 1\n---\nthreads: 2\n", "two.yaml");
    ASSERT_TRUE(result.error);
    EXPECT_EQ(result.error->toString(),
              "two.yaml:2:1: expected one YAML document, found more (remove the \"---\")");
}
