// Telling a chat service from something else by its first line, and how sockctl says so.
#include "service_check.h"

#include <gtest/gtest.h>

#include <string>

namespace sockctl {
namespace {

TEST(SockctlServiceCheck, ChatServicesFirstLines) {
    // sockchatd's greeting and refusal in text mode, and any JSON object (a /hello handshake's
    // welcome).
    EXPECT_TRUE(looksLikeChatService("-!- Welcome to sockchatd! You are guest-1 in #lobby."));
    EXPECT_TRUE(looksLikeChatService("-!- Welcome\r"));
    // A daemon of protocol 2 began its server lines with "* ".
    EXPECT_TRUE(looksLikeChatService("! server full: max_connections reached"));
    EXPECT_TRUE(looksLikeChatService("{\"type\":\"welcome\",\"nick\":\"a\",\"room\":\"lobby\"}"));
    EXPECT_TRUE(looksLikeChatService("* Welcome\r"));
    // What else answers.
    EXPECT_FALSE(looksLikeChatService("hello /mode json"));  // the echo port
    EXPECT_FALSE(looksLikeChatService("/mode json"));        // an echo without prefix
    EXPECT_FALSE(looksLikeChatService("HTTP/1.1 400 Bad Request"));
    EXPECT_FALSE(looksLikeChatService("SSH-2.0-OpenSSH_9.2"));
    EXPECT_FALSE(looksLikeChatService(":irc.example.net NOTICE * :*** Looking up your hostname"));
    EXPECT_FALSE(looksLikeChatService("[1,2]"));
    EXPECT_FALSE(looksLikeChatService(""));
}

TEST(SockctlServiceCheck, TheTlsPortsAnswerToPlainText) {
    // sockchatd's line on a TLS listener that got plain text: not a chat service's greeting
    // for sockctl, but a hint that --tls is missing.
    EXPECT_TRUE(isTlsPortAnswer(
        "! this port speaks TLS: connect with TLS (sockctl --tls, openssl s_client)"));
    EXPECT_FALSE(isTlsPortAnswer("! server full: max_connections reached"));
    EXPECT_FALSE(isTlsPortAnswer("-!- Welcome"));
    EXPECT_EQ(std::string(TlsPortWithoutTls("127.0.0.1:6697").what()),
              "127.0.0.1:6697 speaks TLS: use --tls");
}

TEST(SockctlServiceCheck, TheAnswerIsQuotedSanitisedAndCut) {
    EXPECT_STREQ(NotAChatService::answered("127.0.0.1:8000", "hello /mode json").what(),
                 "127.0.0.1:8000 is not a sockchatd chat service (it answered \"hello /mode "
                 "json\")");
    // Escapes cannot reach the terminal, quotes stay readable.
    std::string message = NotAChatService::answered("h:1", "a\x1b[2Jb \"q\"").what();
    EXPECT_EQ(message.find('\x1b'), std::string::npos) << message;
    EXPECT_NE(message.find("a\\x1b[2Jb \\\"q\\\""), std::string::npos) << message;
    // A long answer is cut.
    message = NotAChatService::answered("h:1", std::string(500, 'x')).what();
    EXPECT_LT(message.size(), 200u) << message;
    EXPECT_NE(message.find("..."), std::string::npos) << message;
}

}  // namespace
}  // namespace sockctl
