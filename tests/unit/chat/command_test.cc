#include "sockchat/chat/command.h"

#include <gtest/gtest.h>

using namespace sockchat::chat;
using Kind = ParsedLine::Kind;

TEST(ParseLine, BlankLinesAreNothing) {
    EXPECT_EQ(parseLine("").kind, Kind::blank);
    EXPECT_EQ(parseLine("   ").kind, Kind::blank);
}

TEST(ParseLine, TextIsSaidAsTyped) {
    auto p = parseLine("  hello  world ");
    EXPECT_EQ(p.kind, Kind::say);
    EXPECT_EQ(p.text, "  hello  world ");
}

TEST(ParseLine, DoubleSlashSendsALiteralSlash) {
    auto p = parseLine("//etc/passwd");
    EXPECT_EQ(p.kind, Kind::say);
    EXPECT_EQ(p.text, "/etc/passwd");
    EXPECT_EQ(parseLine("///").text, "//");
}

TEST(ParseLine, CommandsAreCaseInsensitiveWithArguments) {
    auto p = parseLine("/NICK   Alice ");
    EXPECT_EQ(p.kind, Kind::command);
    EXPECT_EQ(p.name, "nick");
    EXPECT_EQ(p.text, "Alice ");
    p = parseLine("/msg bob  two  spaces");
    EXPECT_EQ(p.name, "msg");
    EXPECT_EQ(p.text, "bob  two  spaces");
    p = parseLine("/rooms");
    EXPECT_EQ(p.name, "rooms");
    EXPECT_EQ(p.text, "");
    p = parseLine("/");
    EXPECT_EQ(p.kind, Kind::command);
    EXPECT_EQ(p.name, "");
    EXPECT_EQ(parseLine(" /nick x").kind, Kind::say);  // only a leading slash is a command
}

TEST(ParseLine, Helpers) {
    EXPECT_EQ(splitWord("  bob   hi there").first, "bob");
    EXPECT_EQ(splitWord("  bob   hi there").second, "hi there");
    EXPECT_EQ(splitWord("bob").second, "");
    EXPECT_EQ(trimSpaces("  a b  "), "a b");
    EXPECT_EQ(roomArgument(" #dev "), "dev");
    EXPECT_EQ(roomArgument("dev"), "dev");
    EXPECT_EQ(roomArgument(""), "");
}
