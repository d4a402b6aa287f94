// Black-box tests of sockctl (chat and echo) against the real daemon: pipe mode between
// sockctl processes, reconnects across a daemon restart, connect errors, and the interactive
// client in a real terminal (tmux).
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <regex>
#include <set>

#include "chat/chat_client.h"
#include "daemon_process.h"
#include "sockctl_fixture.h"
#include "sockctl_process.h"
#include "test_client.h"
#include "tmux_session.h"

using namespace sockchat::testing;
using namespace sockctl_test;
using nlohmann::json;

namespace {

std::string refusedMessage(std::uint16_t port) {
    return "sockctl: cannot connect to 127.0.0.1:" + std::to_string(port) +
           ": Connection refused \xE2\x80\x94 is sockchatd running? (systemctl status sockchatd)\n";
}

// Every line of --json output, parsed (a line that is not JSON fails the test).
std::vector<json> jsonLines(const std::string& out) {
    std::vector<json> lines;
    for (std::size_t pos = 0, nl; (nl = out.find('\n', pos)) != std::string::npos; pos = nl + 1) {
        auto line = json::parse(out.substr(pos, nl - pos), nullptr, false);
        EXPECT_FALSE(line.is_discarded()) << "not JSON: " << out.substr(pos, nl - pos);
        if (!line.is_discarded()) lines.push_back(std::move(line));
    }
    return lines;
}

// A pipe-mode sockctl that is ready to send: its greeting, --nick and --room have come through
// (ready(stdout) says when).
std::unique_ptr<SockctlProcess> chatter(std::uint16_t port, const std::string& nick,
                                        const std::vector<std::string>& extra = {},
                                        std::function<bool(const std::string&)> ready = nullptr) {
    std::vector<std::string> args{"chat", at(port), "--nick", nick};
    args.insert(args.end(), extra.begin(), extra.end());
    auto p = std::make_unique<SockctlProcess>(args);
    if (!ready) {
        // The own join ends the handshake (/hello with the nick and room asked for).
        std::string marker = nick + " joined #lobby";
        for (std::size_t i = 0; i + 1 < extra.size(); ++i)
            if (extra[i] == "--room") marker = nick + " joined #" + extra[i + 1];
        ready = [marker](const std::string& out) { return out.find(marker) != std::string::npos; };
    }
    EXPECT_TRUE(p->waitForStdout(ready)) << p->stdoutText() << p->stderrText();
    return p;
}

// The waits sockctl announced before its reconnect attempts ("...; reconnecting in 2 s", "...;
// next try in 4 s"), in order.
std::vector<int> announcedWaits(const std::string& err) {
    std::vector<int> waits;
    const std::regex announcement("(?:reconnecting in|next try in) ([0-9]+) s");
    for (std::sregex_iterator it(err.begin(), err.end(), announcement), end; it != end; ++it)
        waits.push_back(std::stoi((*it)[1].str()));
    return waits;
}

std::function<bool(const std::string&)> announcedAtLeast(std::size_t n) {
    return [n](const std::string& err) { return announcedWaits(err).size() >= n; };
}

// The worker thread a chat connection lives on. The `join` log events carry the connection id
// and the worker; the nick may have changed since (sockctl joins as a guest, then renames), so
// the conn id of the join or nick change that gave the connection `nick` ties the two.
std::optional<std::uint64_t> workerOf(const DaemonProcess& daemon, const std::string& nick) {
    auto named = daemon.waitForEvent([&](const json& e) {
        std::string event = e.value("event", "");
        return (event == "join" || event == "nick") && e.value("nick", "") == nick;
    });
    if (!named) return std::nullopt;
    std::string conn = named->value("conn", "");
    auto joined = daemon.waitForEvent([&](const json& e) {
        return e.value("event", "") == "join" && e.value("conn", "") == conn &&
               e.contains("worker");
    });
    if (!joined) return std::nullopt;
    return joined->value("worker", std::uint64_t{});
}

// A raw line client (what nc is) past its greeting, and the worker it lives on.
struct RawChatter {
    std::unique_ptr<ChatClient> client;
    std::uint64_t worker = 0;
};

// A raw line client on a worker other than `avoid` (any worker without it). Connections made one
// at a time all land on the first idle worker (EPOLLEXCLUSIVE wakes the first one waiting in
// epoll_wait), so the candidates come in small bursts, as in the chat tests; the ones not chosen
// leave again. No client if no burst spread.
RawChatter rawChatterAvoiding(const DaemonProcess& daemon, std::optional<std::uint64_t> avoid) {
    for (int round = 0; round < 20; ++round) {
        std::vector<std::unique_ptr<ChatClient>> burst;
        for (int i = 0; i < (avoid ? 4 : 1); ++i)
            burst.push_back(std::make_unique<ChatClient>(daemon.port()));
        for (auto& candidate : burst) {
            auto worker = workerOf(daemon, candidate->readGreeting());
            if (worker && (!avoid || *worker != *avoid)) return {std::move(candidate), *worker};
        }
    }
    return {};
}

// A daemon that lets one connection per address in, and one connection from here that holds
// the place, so that every sockctl connection is accepted and at once closed again.
struct FullDaemon {
    FullDaemon()
        : daemon(testConfig(chatListener(), "limits: {max_connections_per_ip: 1}\n")),
          holder(std::make_unique<TestClient>(daemon.port())) {
        // The greeting: the holder has its place.
        EXPECT_NE(holder->recvSome().find("Welcome"), std::string::npos);
    }

    DaemonProcess daemon;
    std::unique_ptr<TestClient> holder;
};

// A daemon, a pipe-mode sockctl "watcher" in #lobby that sees what arrives, and a pipe-mode
// sockctl "script" (not waited for) to test.
struct ScriptAndWatcher {
    explicit ScriptAndWatcher(const std::string& extraYaml = "")
        : daemon(testConfig(chatListener(), extraYaml)),
          watcher(chatter(daemon.port(), "watcher")),
          script({"chat", at(daemon.port()), "--nick", "script"}) {}

    DaemonProcess daemon;
    std::unique_ptr<SockctlProcess> watcher;
    SockctlProcess script;
};

}  // namespace

// --- echo ---------------------------------------------------------------------------------

TEST(SockctlEcho, PrintsTheReplyAndExitsZero) {
    DaemonProcess daemon(testConfig(echoListener()));
    auto r = sockctl({"echo", at(daemon.port()), "Wilson"});
    EXPECT_EQ(r.exitCode, 0) << r.stderrText;
    EXPECT_EQ(r.stdoutText, "hello Wilson\n");
    EXPECT_EQ(r.stderrText, "");
}

TEST(SockctlEcho, FindsTheListenerInTheConfigFile) {
    DaemonProcess daemon(testConfig(echoListener()));
    // The daemon's own config says port 0; a config naming the bound port stands in for the
    // installed /etc/sockchatd/sockchatd.yaml.
    TempFile config(testConfig(echoListener(at(daemon.port()))));
    auto before = sockctl({"-c", config.path(), "echo", "Wilson"});
    EXPECT_EQ(before.exitCode, 0) << before.stderrText;
    EXPECT_EQ(before.stdoutText, "hello Wilson\n");
    auto after = sockctl({"echo", "-c", config.path(), "Wilson"});
    EXPECT_EQ(after.exitCode, 0) << after.stderrText;
    EXPECT_EQ(after.stdoutText, "hello Wilson\n");
}

TEST(SockctlEcho, ReplyInSeveralPiecesIsPrintedComplete) {
    DaemonProcess daemon(testConfig(echoListener(), "echo: {prefix: \"<>\"}\n"));
    // Larger than one read of the daemon: the reply comes as "<>" + piece, "<>" + piece, ...
    std::string text(100000, 'x');
    for (std::size_t i = 0; i < text.size(); i += 7) text[i] = static_cast<char>('a' + i % 26);
    auto r = sockctl({"echo", at(daemon.port()), text});
    EXPECT_EQ(r.exitCode, 0) << r.stderrText;
    ASSERT_FALSE(r.stdoutText.empty());
    std::string reply = r.stdoutText.substr(0, r.stdoutText.size() - 1);  // the added newline
    ASSERT_EQ(reply.rfind("<>", 0), 0u);
    std::string joined;
    for (std::size_t pos = 0; pos < reply.size();) {
        std::size_t next = reply.find("<>", pos + 2);
        if (next == std::string::npos) next = reply.size();
        joined += reply.substr(pos + 2, next - pos - 2);
        pos = next;
    }
    EXPECT_TRUE(joined == text) << "reply of " << reply.size() << " bytes";
}

TEST(SockctlEcho, Ipv6AddressesAndHostNames) {
    DaemonProcess v6(testConfig(echoListener("[::1]:0")));
    auto bracketed = sockctl({"echo", "[::1]:" + std::to_string(v6.port()), "six"});
    EXPECT_EQ(bracketed.exitCode, 0) << bracketed.stderrText;
    EXPECT_EQ(bracketed.stdoutText, "hello six\n");
    // "localhost" may resolve to ::1 before 127.0.0.1: every address is tried in turn.
    DaemonProcess v4(testConfig(echoListener()));
    auto named = sockctl({"echo", "localhost:" + std::to_string(v4.port()), "name"});
    EXPECT_EQ(named.exitCode, 0) << named.stderrText;
    EXPECT_EQ(named.stdoutText, "hello name\n");
}

TEST(SockctlEcho, CannotConnectSaysWhereAndExits69) {
    std::uint16_t port = unusedPort();
    auto r = sockctl({"echo", at(port), "hi"});
    EXPECT_EQ(r.exitCode, 69);
    EXPECT_EQ(r.stderrText, refusedMessage(port));
    EXPECT_EQ(r.stdoutText, "");
}

TEST(SockctlEcho, TheChatPortIsNamedNotEchoedAndNothingIsPosted) {
    DaemonProcess daemon(testConfig(chatListener()));
    auto r = sockctl({"echo", at(daemon.port()), "Wilson"});
    EXPECT_EQ(r.exitCode, 1);
    EXPECT_EQ(r.stderrText, "sockctl: " + at(daemon.port()) +
                                " is a sockchatd chat service, not echo (try sockctl chat)\n");
    EXPECT_EQ(r.stdoutText, "");
}

// --- command line ---------------------------------------------------------------------------

TEST(SockctlCli, HelpVersionAndUsageErrors) {
    for (auto args : std::vector<std::vector<std::string>>{
             {"--help"}, {"chat", "--help"}, {"echo", "--help"}, {"help", "--help"}}) {
        auto r = sockctl(args);
        EXPECT_EQ(r.exitCode, 0) << args.front();
        EXPECT_NE(r.stdoutText.find("Usage:"), std::string::npos) << r.stdoutText;
    }
    for (const char* flag : {"--version", "-V"}) {
        auto version = sockctl({flag});
        EXPECT_EQ(version.exitCode, 0) << flag;
        EXPECT_EQ(version.stdoutText, "sockctl " SOCKCHAT_VERSION "\n") << flag;
        EXPECT_EQ(version.stderrText, "") << flag;
    }
    auto bad = sockctl({"chat", "[::1"});
    EXPECT_EQ(bad.exitCode, 64);
    EXPECT_NE(bad.stderrText.find("missing \"]\""), std::string::npos) << bad.stderrText;
    TempFile broken("limits: {max_line_bytes: nonsense}\n");
    auto config = sockctl({"-c", broken.path(), "chat"});
    EXPECT_EQ(config.exitCode, 78);
    EXPECT_NE(config.stderrText.find(broken.path()), std::string::npos) << config.stderrText;
}

TEST(SockctlCli, HelpCommandPrintsTheHelpOfSockctlOrOfACommand) {
    auto all = sockctl({"help"});
    EXPECT_EQ(all.exitCode, 0) << all.stderrText;
    EXPECT_EQ(all.stdoutText, sockctl({"--help"}).stdoutText);
    EXPECT_EQ(all.stderrText, "");
    for (const std::string command : {"chat", "echo", "help"}) {
        auto one = sockctl({"help", command});
        EXPECT_EQ(one.exitCode, 0) << command << ": " << one.stderrText;
        EXPECT_EQ(one.stdoutText, sockctl({command, "--help"}).stdoutText) << command;
        EXPECT_NE(one.stdoutText.find("sockctl " + command), std::string::npos) << one.stdoutText;
    }
    auto unknown = sockctl({"help", "bogus"});
    EXPECT_EQ(unknown.exitCode, 64);
    EXPECT_EQ(unknown.stderrText, "sockctl: unknown command 'bogus'\nTry 'sockctl --help'.\n");
    EXPECT_EQ(unknown.stdoutText, "");
}

TEST(SockctlCli, UsageErrorsSayWhatOnOneLineAndExit64) {
    struct Case {
        std::vector<std::string> args;
        std::string stderrText;
    };
    for (const auto& c : std::vector<Case>{
             {{"bogus"}, "sockctl: unknown command 'bogus'\nTry 'sockctl --help'.\n"},
             {{"--bogus"}, "sockctl: unknown option '--bogus'\nTry 'sockctl --help'.\n"},
             {{"-c"}, "sockctl: option --config needs a value\nTry 'sockctl --help'.\n"},
             {{"chat", "--bogus"},
              "sockctl: unknown option '--bogus'\nTry 'sockctl chat --help'.\n"},
             {{"chat", "--nick"},
              "sockctl: option --nick needs a value\nTry 'sockctl chat --help'.\n"},
             {{"chat", "127.0.0.1:1", "extra"},
              "sockctl: unexpected argument 'extra'\nTry 'sockctl chat --help'.\n"},
             {{"echo"}, "sockctl: missing TEXT\nTry 'sockctl echo --help'.\n"},
             {{"echo", "127.0.0.1:1", "a", "b"},
              "sockctl: too many arguments (at most 2)\nTry 'sockctl echo --help'.\n"},
             {{"help", "chat", "echo"},
              "sockctl: unexpected argument 'echo'\nTry 'sockctl help --help'.\n"},
         }) {
        auto r = sockctl(c.args);
        EXPECT_EQ(r.exitCode, 64) << c.args.front();
        EXPECT_EQ(r.stderrText, c.stderrText) << c.args.front();
        EXPECT_EQ(r.stdoutText, "") << c.args.front();
    }
}

TEST(SockctlCli, NoCommandPrintsTheUsageOnStderrAndExits64) {
    auto r = sockctl({});
    EXPECT_EQ(r.exitCode, 64);
    EXPECT_EQ(r.stdoutText, "");
    EXPECT_TRUE(r.stderrText.starts_with("sockctl: missing command\n")) << r.stderrText;
    EXPECT_NE(r.stderrText.find("\nUsage: sockctl "), std::string::npos) << r.stderrText;
    for (const char* command : {"chat", "echo", "help"})
        EXPECT_NE(r.stderrText.find(command), std::string::npos) << command;
    auto global = sockctl({"-c", "/nonexistent.yaml"});
    EXPECT_EQ(global.exitCode, 64);
    EXPECT_TRUE(global.stderrText.starts_with("sockctl: missing command\n")) << global.stderrText;
}

// --- chat -----------------------------------------------------------------------------------

TEST(SockctlChat, CannotConnectSaysWhereAndExits69) {
    std::uint16_t port = unusedPort();
    auto r = sockctl({"chat", at(port)});
    EXPECT_EQ(r.exitCode, 69);
    EXPECT_EQ(r.stderrText, refusedMessage(port));
    // The same with the address from a config file.
    TempFile config(testConfig(chatListener(at(port))));
    auto viaConfig = sockctl({"-c", config.path(), "chat"});
    EXPECT_EQ(viaConfig.exitCode, 69);
    EXPECT_EQ(viaConfig.stderrText, refusedMessage(port));
}

TEST(SockctlChat, TwoPipeModeClientsExchangeMessages) {
    DaemonProcess daemon(testConfig(chatListener(), "threads: 2\n"));
    auto alice = chatter(daemon.port(), "alice");
    auto bob = chatter(daemon.port(), "bob");
    bob->write("hello from bob\n");
    EXPECT_TRUE(alice->waitForStdout("<bob> hello from bob")) << alice->stdoutText();
    alice->write("hi bob\n/me waves\n");
    EXPECT_TRUE(bob->waitForStdout("<alice> hi bob")) << bob->stdoutText();
    EXPECT_TRUE(bob->waitForStdout("* alice waves")) << bob->stdoutText();
    // End of input: each leaves once its own last line has come back, exit 0.
    alice->write("bye now\n");
    alice->closeStdin();
    EXPECT_EQ(alice->waitExit(), 0) << alice->stderrText();
    EXPECT_NE(alice->stdoutText().find("<alice> bye now"), std::string::npos)
        << alice->stdoutText();
    EXPECT_TRUE(bob->waitForStdout("<alice> bye now")) << bob->stdoutText();
    bob->closeStdin();
    EXPECT_EQ(bob->waitExit(), 0) << bob->stderrText();
    // Plain lines: no escape sequences when stdout is not a terminal.
    EXPECT_EQ(bob->stdoutText().find('\x1b'), std::string::npos) << bob->stdoutText();
}

TEST(SockctlChat, EndOfInputRightAfterTheLastLineStillDeliversIt) {
    ScriptAndWatcher t;
    t.script.write("one\ntwo\nthree\n");
    t.script.closeStdin();
    EXPECT_EQ(t.script.waitExit(), 0) << t.script.stderrText();
    EXPECT_NE(t.script.stdoutText().find("<script> three"), std::string::npos)
        << t.script.stdoutText();
    EXPECT_TRUE(t.watcher->waitForStdout("<script> three")) << t.watcher->stdoutText();
}

TEST(SockctlChat, PipeModeKeepsToTheRateLimitAndLosesNoLine) {
    // A burst of 5 and 20 lines a second: the restore (/mode json, /nick, /mode json) takes
    // three, so most of the 40 lines meet the limit (about 2 s in all).
    ScriptAndWatcher t("limits: {messages_per_second: 20, burst: 5}\n");
    std::string input;
    for (int i = 1; i <= 40; ++i) input += "line " + std::to_string(i) + "\n";
    t.script.write(input);
    t.script.closeStdin();
    EXPECT_EQ(t.script.waitExit(20s), 0) << t.script.stderrText();
    // The limit was met, and cost nothing: every line arrived once, in order.
    EXPECT_TRUE(t.daemon.waitForEvent([](const json& e) {
        return e.value("event", "") == "limit" && e.value("reason", "") == "rate limit";
    }));
    ASSERT_TRUE(t.watcher->waitForStdout("<script> line 40\n")) << t.watcher->stdoutText();
    std::string seen = t.watcher->stdoutText();
    std::size_t previous = 0;
    for (int i = 1; i <= 40; ++i) {
        std::string line = "<script> line " + std::to_string(i) + "\n";
        std::size_t at = seen.find(line);
        ASSERT_NE(at, std::string::npos) << line << seen;
        EXPECT_EQ(seen.rfind(line), at) << "twice: " << line << seen;
        EXPECT_GT(at, previous) << "out of order: " << line << seen;
        previous = at;
    }
    // Handled, so not shown: neither the server's "slow down" nor anything on stderr.
    EXPECT_EQ(t.script.stdoutText().find("slow down"), std::string::npos) << t.script.stdoutText();
    EXPECT_EQ(t.script.stderrText(), "");
}

TEST(SockctlChat, PipeModeReportsARefusedLineAndExitsOne) {
    ScriptAndWatcher t;
    t.script.write("before\n/frobnicate now\nafter\n");
    t.script.closeStdin();
    EXPECT_EQ(t.script.waitExit(), 1) << t.script.stderrText();
    EXPECT_EQ(
        t.script.stderrText(),
        "sockctl: line 2 (/frobnicate now) failed: unknown command /frobnicate (try /help)\n");
    // The server's error is in the output too, and the script went on after it.
    EXPECT_NE(t.script.stdoutText().find("! unknown command /frobnicate (try /help)"),
              std::string::npos)
        << t.script.stdoutText();
    EXPECT_TRUE(t.watcher->waitForStdout("<script> after")) << t.watcher->stdoutText();
    EXPECT_NE(t.watcher->stdoutText().find("<script> before"), std::string::npos)
        << t.watcher->stdoutText();
}

TEST(SockctlChat, PipeModeQuitLineLeavesAfterTheLinesBeforeIt) {
    ScriptAndWatcher t;
    // stdin stays open: the /quit line ends it, not the end of input.
    t.script.write("one\ntwo\n/quit see you\nthree\n");
    EXPECT_EQ(t.script.waitExit(), 0) << t.script.stderrText();
    EXPECT_NE(t.script.stdoutText().find("<script> two"), std::string::npos)
        << t.script.stdoutText();
    // With its reason: the server got the /quit line itself.
    ASSERT_TRUE(t.watcher->waitForStdout("script left #lobby (quit: see you)"))
        << t.watcher->stdoutText();
    std::string seen = t.watcher->stdoutText();
    EXPECT_LT(seen.find("<script> one"), seen.find("<script> two")) << seen;
    EXPECT_LT(seen.find("<script> two"), seen.find("script left #lobby")) << seen;
    EXPECT_EQ(seen.find("three"), std::string::npos) << seen;
}

TEST(SockctlChat, NickAndRoomOptionsAreHonoured) {
    DaemonProcess daemon(testConfig(chatListener()));
    auto inDev = chatter(daemon.port(), "devwatcher", {"--room", "dev", "--json"},
                         [](const std::string& out) {
                             for (const auto& e : jsonLines(out))
                                 if (e.value("type", "") == "join" && e.value("room", "") == "dev")
                                     return true;
                             return false;
                         });
    auto inLobby = chatter(daemon.port(), "lobbywatcher");
    SockctlProcess alice({"chat", at(daemon.port()), "--nick", "alice", "--room", "dev"});
    alice.write("in dev\n");
    alice.closeStdin();
    EXPECT_EQ(alice.waitExit(), 0) << alice.stderrText();
    ASSERT_TRUE(inDev->waitForStdout("\"text\":\"in dev\"")) << inDev->stdoutText();
    // --json: every stdout line is a JSON object; the message is alice's, in room dev.
    bool found = false;
    std::string out = inDev->stdoutText();
    for (const auto& line : jsonLines(out)) {
        if (line.value("type", "") == "message" && line.value("text", "") == "in dev") {
            EXPECT_EQ(line.value("from", ""), "alice");
            EXPECT_EQ(line.value("room", ""), "dev");
            found = true;
        }
    }
    EXPECT_TRUE(found) << out;
    // The lobby saw nothing of alice (her /hello named dev): whatever of her reached #lobby
    // would come before the next join there.
    auto late = chatter(daemon.port(), "late");
    ASSERT_TRUE(inLobby->waitForStdout("late joined #lobby")) << inLobby->stdoutText();
    EXPECT_EQ(inLobby->stdoutText().find("alice"), std::string::npos) << inLobby->stdoutText();
}

TEST(SockctlChat, ReconnectsAfterDaemonRestartWithNickAndRoom) {
    auto first = std::make_unique<DaemonProcess>(testConfig(chatListener()));
    std::uint16_t port = first->port();
    SockctlProcess alice({"chat", at(port), "--nick", "alice", "--room", "dev"});
    ASSERT_TRUE(alice.waitForStdout("alice joined #dev")) << alice.stdoutText();
    EXPECT_EQ(first->stop(), 0);
    ASSERT_TRUE(alice.waitForStderr("connection to " + at(port) + " lost")) << alice.stderrText();
    // Same port, new process: the backoff (1 s, then 2 s) finds it.
    DaemonProcess second(testConfig(chatListener(at(port))));
    // Generous: a sanitizer build on a busy machine may need a few backoff rounds.
    ASSERT_TRUE(alice.waitForStderr("back: connected to " + at(port) + " as alice in #dev", 30s))
        << alice.stderrText() << alice.stdoutText() << second.stderrText();
    auto watcher = chatter(port, "watcher", {"--room", "dev"});
    alice.write("after the restart\n");
    EXPECT_TRUE(watcher->waitForStdout("<alice> after the restart")) << watcher->stdoutText();
    alice.closeStdin();
    EXPECT_EQ(alice.waitExit(), 0) << alice.stderrText();
}

TEST(SockctlChat, NoReconnectExitsOneWhenTheConnectionIsLost) {
    DaemonProcess daemon(testConfig(chatListener()));
    SockctlProcess alice({"chat", at(daemon.port()), "--nick", "alice", "--no-reconnect"});
    ASSERT_TRUE(alice.waitForStdout("alice joined #lobby")) << alice.stdoutText();
    EXPECT_EQ(daemon.stop(), 0);
    EXPECT_EQ(alice.waitExit(), 1) << alice.stderrText();
    EXPECT_NE(alice.stderrText().find("lost"), std::string::npos) << alice.stderrText();
}

TEST(SockctlChat, RefusedConnectionsAreRetriedWithGrowingWaits) {
    FullDaemon full;
    SockctlProcess script({"chat", at(full.daemon.port()), "--nick", "script"});
    // Each connection is accepted, told "! server full", and closed: that is no reason to go
    // back to 1 s. About 3 s: waiting 1 s, then 2 s, then announcing 4 s.
    ASSERT_TRUE(script.waitForStderr(announcedAtLeast(3))) << script.stderrText();
    auto waits = announcedWaits(script.stderrText());
    waits.resize(3);
    EXPECT_EQ(waits, (std::vector<int>{1, 2, 4})) << script.stderrText();
    // What the server said, on every attempt (not only on the first connection).
    const std::string refusal = "! closing: server full (max_connections_per_ip reached)";
    EXPECT_TRUE(script.waitForStdout([&](const std::string& out) {
        return occurrences(out, refusal) >= 3;
    })) << script.stdoutText();
}

TEST(SockctlChat, BackoffStartsAgainAtOneSecondOnceTheSessionIsReady) {
    FullDaemon full;
    std::uint16_t port = full.daemon.port();
    SockctlProcess script({"chat", at(port), "--nick", "script"});
    ASSERT_TRUE(script.waitForStderr(announcedAtLeast(2))) << script.stderrText();
    // Room for one more: the next attempt (in 2 s) gets in and becomes ready.
    full.holder.reset();
    ASSERT_TRUE(script.waitForStderr("back: connected to " + at(port) + " as script"))
        << script.stderrText() << script.stdoutText();
    EXPECT_EQ(full.daemon.stop(), 0);
    ASSERT_TRUE(script.waitForStderr(announcedAtLeast(3))) << script.stderrText();
    auto waits = announcedWaits(script.stderrText());
    waits.resize(3);
    EXPECT_EQ(waits, (std::vector<int>{1, 2, 1})) << script.stderrText();
}

// --- the interactive client in a real terminal ----------------------------------------------

TEST_F(SockctlInteractive, IncomingMessageKeepsTheHalfTypedLineIntact) {
    DaemonProcess daemon(testConfig(chatListener()));
    auto term = start(daemon.port(), "alice");
    bool ok = false;
    std::string screen = waitForPrompt(*term, "alice", &ok);
    ASSERT_TRUE(ok) << screen;

    term->type("half typed");
    screen = term->waitForScreen(
        [](const std::string& s) { return lastLine(s) == "[#lobby] alice> half typed"; }, 10s, &ok);
    ASSERT_TRUE(ok) << screen;

    // Someone else talks while alice is in the middle of her line.
    bobSaysHello(daemon.port());
    screen = term->waitForScreen(
        [](const std::string& s) {
            return s.find("<bob> hello from bob") != std::string::npos &&
                   s.find("bob left #lobby") != std::string::npos;
        },
        10s, &ok);
    ASSERT_TRUE(ok) << screen;
    // The message is above the prompt and the half-typed line is still there, once.
    EXPECT_EQ(lastLine(screen), "[#lobby] alice> half typed") << screen;
    EXPECT_LT(screen.find("<bob> hello from bob"), screen.find("alice> half typed")) << screen;
    EXPECT_EQ(screen.find("half typed"), screen.rfind("half typed")) << screen;

    // Typing goes on where it was; Enter sends the whole line, which comes back from the server.
    term->type(" and finished");
    term->key("Enter");
    screen = term->waitForScreen(
        [](const std::string& s) {
            return s.find("<alice> half typed and finished") != std::string::npos &&
                   lastLine(s) == "[#lobby] alice>";
        },
        10s, &ok);
    ASSERT_TRUE(ok) << screen;

    expectLeavesWithStatusZero(*term, "C-d");
}

TEST_F(SockctlInteractive, CtrlCClearsTheLineAndASecondCtrlCLeaves) {
    DaemonProcess daemon(testConfig(chatListener()));
    auto term = start(daemon.port(), "carol");
    bool ok = false;
    std::string screen = waitForPrompt(*term, "carol", &ok);
    ASSERT_TRUE(ok) << screen;
    term->type("never sent");
    screen = term->waitForScreen(
        [](const std::string& s) { return lastLine(s) == "[#lobby] carol> never sent"; }, 10s, &ok);
    ASSERT_TRUE(ok) << screen;
    term->key("C-c");
    screen = term->waitForScreen(
        [](const std::string& s) { return lastLine(s) == "[#lobby] carol>"; }, 10s, &ok);
    ASSERT_TRUE(ok) << screen;
    EXPECT_EQ(screen.find("never sent"), std::string::npos) << screen;
    term->key("C-c");
    screen = term->waitForScreen(
        [](const std::string& s) { return s.find("SOCKCTL-EXIT=") != std::string::npos; }, 10s,
        &ok);
    ASSERT_TRUE(ok) << screen;
    EXPECT_NE(screen.find("SOCKCTL-EXIT=0"), std::string::npos) << screen;
    EXPECT_EQ(screen.find("<carol> never sent"), std::string::npos) << screen;
}

// What colour is for: on a terminal, another's nick in its colour, notices dim, errors red.
TEST_F(SockctlInteractive, NicksAreColouredOnATerminal) {
    DaemonProcess daemon(testConfig(chatListener()));
    auto term = start(daemon.port(), "alice");
    std::string cells = everythingColourable(*term, daemon.port());
    // tmux shows each cell's attributes as SGR sequences: one right before the nick.
    EXPECT_TRUE(std::regex_search(cells, std::regex("<\x1b\\[[0-9;]+mbob\x1b\\[[0-9;]*m> hello")))
        << cells;
    EXPECT_NE(cells.find("\x1b[2m"), std::string::npos) << cells;  // dim notices
    // Red (tmux may add other attributes before the text).
    EXPECT_TRUE(std::regex_search(
        cells, std::regex("\x1b\\[31m(\x1b\\[[0-9;]*m)*! unknown command /frobnicate")))
        << cells;
    expectLeavesWithStatusZero(*term, "C-d");
}

TEST_F(SockctlInteractive, NoColourWithNoColorOrTheFlagEvenOnATerminal) {
    DaemonProcess daemon(testConfig(chatListener()));
    struct Case {
        std::string env, args;
    };
    for (const auto& [env, args] : {Case{"NO_COLOR=1 ", ""}, Case{"", " --no-color"}}) {
        SCOPED_TRACE(env + args);
        auto term = start(daemon.port(), "alice", env, args);
        // Not one cell has a colour or an attribute.
        std::string cells = everythingColourable(*term, daemon.port());
        EXPECT_EQ(cells.find('\x1b'), std::string::npos) << cells;
        expectLeavesWithStatusZero(*term, "C-d");
    }
}

TEST_F(SockctlInteractive, QuitLeavesWithStatusZero) {
    DaemonProcess daemon(testConfig(chatListener()));
    auto watcher = chatter(daemon.port(), "watcher");
    auto term = start(daemon.port(), "alice");
    bool ok = false;
    std::string screen = waitForPrompt(*term, "alice", &ok);
    ASSERT_TRUE(ok) << screen;
    term->type("/quit gone home");
    expectLeavesWithStatusZero(*term, "Enter");
    // The server had the line itself, reason and all.
    EXPECT_TRUE(watcher->waitForStdout("alice left #lobby (quit: gone home)"))
        << watcher->stdoutText();
}

// Issue 4's "done when": two people chat through sockctl in real terminals, a third with a raw
// line client as with nc, and the three connections do not all live on one worker thread.
TEST_F(SockctlInteractive, TwoTerminalsAndAnNcClientChatAcrossWorkers) {
    DaemonProcess daemon(testConfig(chatListener(), "threads: 4\n"));
    auto started =
        daemon.waitForEvent([](const json& e) { return e.value("event", "") == "start"; });
    ASSERT_TRUE(started);
    EXPECT_EQ(started->value("workers", 0u), 4u);
    auto alice = start(daemon.port(), "alice");
    auto bob = start(daemon.port(), "bob");
    bool ok = false;
    std::string screen = waitForPrompt(*alice, "alice", &ok);
    ASSERT_TRUE(ok) << screen;
    screen = waitForPrompt(*bob, "bob", &ok);
    ASSERT_TRUE(ok) << screen;

    // Where everyone lives: should alice and bob share a worker, carol goes to another one.
    auto aliceWorker = workerOf(daemon, "alice");
    auto bobWorker = workerOf(daemon, "bob");
    ASSERT_TRUE(aliceWorker && bobWorker) << daemon.stderrText();
    auto carol =
        rawChatterAvoiding(daemon, *aliceWorker == *bobWorker ? aliceWorker : std::nullopt);
    ASSERT_TRUE(carol.client) << "no burst reached a worker other than " << *aliceWorker;
    carol.client->nick("carol");
    std::set<std::uint64_t> workers{*aliceWorker, *bobWorker, carol.worker};
    EXPECT_GE(workers.size(), 2u) << "alice, bob and carol on workers " << *aliceWorker << ", "
                                  << *bobWorker << ", " << carol.worker;

    // alice -> bob's terminal and carol's socket.
    alice->type("hi from alice");
    alice->key("Enter");
    expectMessageAbovePrompt(*bob, "alice", "hi from alice", "[#lobby] bob>", "");
    EXPECT_EQ(carol.client->waitForLine("<alice> hi from alice"), "<alice> hi from alice");

    // alice starts a line; carol and then bob talk meanwhile: both show in both terminals, and
    // alice's half-typed line stays intact under them.
    const std::string alicePrompt = "[#lobby] alice> ";
    alice->type("half typed");
    screen = alice->waitForScreen(
        [&](const std::string& s) { return lastLine(s) == alicePrompt + "half typed"; }, 10s, &ok);
    ASSERT_TRUE(ok) << screen;
    carol.client->send("hi from carol");
    expectMessageAbovePrompt(*alice, "carol", "hi from carol", alicePrompt, "half typed");
    expectMessageAbovePrompt(*bob, "carol", "hi from carol", "[#lobby] bob>", "");
    bob->type("hi from bob");
    bob->key("Enter");
    expectMessageAbovePrompt(*alice, "bob", "hi from bob", alicePrompt, "half typed");
    EXPECT_EQ(carol.client->waitForLine("<bob> hi from bob"), "<bob> hi from bob");

    // alice finishes her line: all of it arrives.
    alice->type(" and done");
    alice->key("Enter");
    EXPECT_EQ(carol.client->waitForLine("<alice> half typed and done"),
              "<alice> half typed and done");
    expectMessageAbovePrompt(*bob, "alice", "half typed and done", "[#lobby] bob>", "");

    expectLeavesWithStatusZero(*alice, "C-d");
    expectLeavesWithStatusZero(*bob, "C-d");
}
