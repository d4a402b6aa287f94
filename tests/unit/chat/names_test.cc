#include "sockchat/chat/names.h"

#include <gtest/gtest.h>

using sockchat::chat::foldCase;
using sockchat::chat::validateName;

TEST(Names, CharsetAndLength) {
    EXPECT_FALSE(validateName("alice_1.b-c", "nick"));
    EXPECT_FALSE(validateName("A", "nick"));
    EXPECT_FALSE(validateName(std::string(32, 'a'), "nick"));
    EXPECT_TRUE(validateName("", "nick"));
    EXPECT_TRUE(validateName(std::string(33, 'a'), "nick"));
    EXPECT_TRUE(validateName("caf\xc3\xa9", "nick"));
    EXPECT_TRUE(validateName("a\x1b[31m", "nick"));
    EXPECT_TRUE(validateName("#room", "room"));
    EXPECT_EQ(*validateName("al ice", "room"), "room must be 1-32 characters of A-Z a-z 0-9 - _ .");
}

TEST(Names, FoldCaseIsAsciiOnly) {
    EXPECT_EQ(foldCase("AlIcE-_.09"), "alice-_.09");
    EXPECT_EQ(foldCase("\xc3\x89"), "\xc3\x89");
}

TEST(Names, GlobMatchIgnoresCaseAndBacktracks) {
    using sockchat::chat::globMatch;
    EXPECT_TRUE(globMatch("*", ""));
    EXPECT_TRUE(globMatch("dev*", "DevOps"));
    EXPECT_TRUE(globMatch("*ops", "devops"));
    EXPECT_TRUE(globMatch("d?v", "dav"));
    EXPECT_TRUE(globMatch("*a*b*c", "xaxbxbxc"));
    EXPECT_TRUE(globMatch("lobby", "Lobby"));
    EXPECT_FALSE(globMatch("lobby", "lobby2"));
    EXPECT_FALSE(globMatch("d?v", "dv"));
    EXPECT_FALSE(globMatch("*a*b", "xaxc"));
    // A hostile pattern stays linear-ish rather than exponential.
    EXPECT_FALSE(globMatch(std::string(30, '*') + "b", std::string(5000, 'a')));
}
