// The /hello line and the foreign-protocol checks (PROTOCOL.md "Handshake").
#include "sockchat/chat/handshake.h"

#include <gtest/gtest.h>

using sockchat::chat::detectForeignProtocol;
using sockchat::chat::ForeignProtocol;
using sockchat::chat::looksLikeIrcCommand;
using sockchat::chat::parseHello;

TEST(Hello, EmptyKeepsTheDefaults) {
    auto r = parseHello("");
    ASSERT_TRUE(r.hello) << r.error;
    EXPECT_FALSE(r.hello->json);
    EXPECT_TRUE(r.hello->nick.empty());
    EXPECT_TRUE(r.hello->rooms.empty());
}

TEST(Hello, ModeNickAndRoomsInAnyOrder) {
    auto r = parseHello("room=#dev,ops nick=alice JSON room=dev room=lobby");
    ASSERT_TRUE(r.hello) << r.error;
    EXPECT_TRUE(r.hello->json);
    EXPECT_EQ(r.hello->nick, "alice");
    EXPECT_EQ(r.hello->rooms, (std::vector<std::string>{"dev", "ops", "lobby"}));
}

TEST(Hello, BadWordsAndNamesAreErrors) {
    EXPECT_FALSE(parseHello("nick=ali ce").hello);  // "ce" is an unknown word
    EXPECT_NE(parseHello("colour").error.find("unknown word 'colour'"), std::string::npos);
    EXPECT_NE(parseHello("room=ops%20room").error.find("room"), std::string::npos);
    EXPECT_FALSE(parseHello("nick=").hello);
    EXPECT_FALSE(parseHello("room=a,,b").hello);
    EXPECT_FALSE(parseHello("json text").hello);
    EXPECT_FALSE(parseHello("nick=a nick=b").hello);
}

TEST(Foreign, HttpRequestLines) {
    EXPECT_EQ(detectForeignProtocol("GET / HTTP/1.1"), ForeignProtocol::http);
    EXPECT_EQ(detectForeignProtocol("POST /api?x=1 HTTP/1.0"), ForeignProtocol::http);
    EXPECT_EQ(detectForeignProtocol("GET the milk HTTP/2 please"), ForeignProtocol::none);
    EXPECT_EQ(detectForeignProtocol("get / HTTP/1.1"), ForeignProtocol::none);
}

TEST(Foreign, IrcRegistration) {
    EXPECT_EQ(detectForeignProtocol("CAP LS 302"), ForeignProtocol::irc);
    EXPECT_EQ(detectForeignProtocol("NICK alice"), ForeignProtocol::irc);
    EXPECT_EQ(detectForeignProtocol("USER alice 0 * :Alice"), ForeignProtocol::irc);
    EXPECT_EQ(detectForeignProtocol("PASS secret"), ForeignProtocol::irc);
    EXPECT_EQ(detectForeignProtocol("nick alice"), ForeignProtocol::none);
    EXPECT_EQ(detectForeignProtocol("NICK"), ForeignProtocol::none);
    EXPECT_EQ(detectForeignProtocol("hello everyone"), ForeignProtocol::none);
    EXPECT_TRUE(looksLikeIrcCommand("JOIN #dev"));
    EXPECT_TRUE(looksLikeIrcCommand("PING :token"));
    EXPECT_FALSE(looksLikeIrcCommand("OK then"));
    EXPECT_FALSE(looksLikeIrcCommand("Hello there"));
}
