// sockctl chat as a script's tool (stdin not a terminal): a bot's line never lands anywhere but
// where it asked. Names checked before connecting, refusals with nothing sent, --quiet, --json's
// one welcome, several rooms, and the keepalive that keeps a quiet script from idling out.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "chat/chat_client.h"
#include "sockctl_fixture.h"

using nlohmann::json;

namespace {

// A raw client in #lobby (and #ops) that sees everything posted there.
std::unique_ptr<ChatClient> watcher(std::uint16_t port) {
    auto w = std::make_unique<ChatClient>(port);
    w->send("/hello nick=watcher room=lobby,ops");
    EXPECT_FALSE(w->waitForLine("-!- watcher joined #ops").empty());
    return w;
}

}  // namespace

TEST(SockctlScript, NamesOutsideTheCharsetAreUsageErrorsBeforeConnecting) {
    // Port 9: nothing listens; a usage error must come before any connection attempt.
    SockctlProcess room({"chat", "127.0.0.1:9", "--nick", "ci3", "--room", "ops room"});
    EXPECT_EQ(room.waitExit(), 64);
    EXPECT_EQ(room.stderrText().rfind("sockctl: --room 'ops room': room must be", 0), 0u)
        << room.stderrText();
    SockctlProcess nick({"chat", "127.0.0.1:9", "--nick", "guest-5"});
    EXPECT_EQ(nick.waitExit(), 64);
    EXPECT_EQ(
        nick.stderrText().rfind("sockctl: --nick: nicks starting with guest- are reserved", 0), 0u)
        << nick.stderrText();
}

TEST(SockctlScript, ATakenNickIsOneLineOnStderrAndNothingIsSent) {
    DaemonProcess daemon(testConfig(chatListener()));
    auto w = watcher(daemon.port());
    SockctlProcess script({"chat", at(daemon.port()), "--nick", "WATCHER", "--room", "ops"});
    script.write("deploy secret done\n");
    script.closeStdin();
    EXPECT_EQ(script.waitExit(), 1);
    EXPECT_EQ(script.stderrText(), "sockctl: refused by the server: nick WATCHER is taken\n");
    EXPECT_EQ(script.stdoutText(), "");
    // Nothing reached either room: no join, no line. A marker through both proves it.
    std::size_t before = w->skipped().size();
    w->send("/msg #ops marker");
    w->send("/msg #lobby marker");
    EXPECT_EQ(w->waitFor([](const std::string& l) { return l == "<watcher> marker"; }),
              "<watcher> marker");
    EXPECT_EQ(w->waitFor([](const std::string& l) { return l == "<watcher> marker"; }),
              "<watcher> marker");
    EXPECT_EQ(w->skipped().size(), before);
}

TEST(SockctlScript, QuietPrintsOnlyWhatHappensAfterTheHandshake) {
    DaemonProcess daemon(testConfig(chatListener(), "chat: {history: 5}\n"));
    auto w = watcher(daemon.port());
    w->send("before the bot came");
    ASSERT_FALSE(w->waitForLine("<watcher> before the bot came").empty());
    SockctlProcess bot({"chat", at(daemon.port()), "--nick", "bot", "-q"});
    ASSERT_TRUE(w->waitForLine("-!- bot joined #lobby") == "-!- bot joined #lobby");
    w->send("after");
    ASSERT_TRUE(bot.waitForStdout("<watcher> after")) << bot.stdoutText();
    bot.closeStdin();
    EXPECT_EQ(bot.waitExit(), 0) << bot.stderrText();
    // No welcome, MOTD, history or own join: the first line is the first news.
    std::string out = bot.stdoutText();
    EXPECT_NE(out.substr(0, out.find('\n')).find("<watcher> after"), std::string::npos) << out;
}

TEST(SockctlScript, JsonPrintsExactlyOneWelcome) {
    DaemonProcess daemon(testConfig(chatListener()));
    SockctlProcess bot({"chat", at(daemon.port()), "--nick", "jbot", "--room", "a,b", "--json"});
    bot.write("hi\n");
    bot.closeStdin();
    EXPECT_EQ(bot.waitExit(), 0) << bot.stderrText();
    std::string out = bot.stdoutText();
    EXPECT_EQ(occurrences(out, "\"type\":\"welcome\""), 1u) << out;
    std::size_t joins = 0;
    for (std::size_t pos = 0, nl; (nl = out.find('\n', pos)) != std::string::npos; pos = nl + 1) {
        auto e = json::parse(out.substr(pos, nl - pos), nullptr, false);
        ASSERT_FALSE(e.is_discarded()) << out.substr(pos, nl - pos);
        if (e.value("type", "") == "join") ++joins;
        if (e.value("type", "") == "message") {
            EXPECT_EQ(e.value("room", ""), "a") << out;
        }
    }
    EXPECT_EQ(joins, 2u) << out;
}

TEST(SockctlScript, AQuietScriptIsKeptAliveThroughTheIdleTimeout) {
    DaemonProcess daemon(testConfig(chatListener(), "limits: {idle_timeout: 600ms}\n"));
    SockctlProcess bot({"chat", at(daemon.port()), "--nick", "sleepy", "--no-reconnect"});
    ASSERT_TRUE(bot.waitForStdout("sleepy joined #lobby")) << bot.stdoutText();
    // Several idle timeouts pass with no input: the daemon must see pings, never idle.
    ASSERT_EQ(
        daemon.waitForCount([](const json& e) { return e.value("event", "") == "connect"; }, 1),
        1u);
    ChatClient other(daemon.port());
    other.send("/hello nick=other");
    // The other client is idle for real and is closed, telling why; sleepy stays.
    std::string rest;
    ASSERT_TRUE(other.socket().waitClosed(std::chrono::seconds(10), &rest));
    EXPECT_NE(rest.find("! closing: idle timeout"), std::string::npos) << rest;
    bot.write("still here\n");
    EXPECT_TRUE(bot.waitForStdout("<sleepy> still here")) << bot.stderrText();
    bot.closeStdin();
    EXPECT_EQ(bot.waitExit(), 0) << bot.stderrText();
    EXPECT_EQ(bot.stdoutText().find("pong"), std::string::npos) << bot.stdoutText();
}
