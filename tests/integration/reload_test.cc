// SIGHUP applies what README and sockchatd(8) say applies at once (logging level, connection
// limits), and says "restart needed" for what it cannot apply in place (threads, the default
// room, the metrics and admin addresses, the cluster section).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "chat/chat_client.h"
#include "daemon_process.h"
#include "test_client.h"

using namespace sockchat::testing;
using nlohmann::json;

namespace {

const std::string kEcho = "  - {service: echo, address: \"127.0.0.1:0\"}\n";
const std::string kChat = "  - {service: chat, address: \"127.0.0.1:0\"}\n";

auto reloaded() {
    return [](const json& e) {
        return e.value("event", "") == "reload" && e.value("msg", "") == "configuration reloaded";
    };
}

// Rewrites the daemon's config file and reloads; true once the daemon says it applied it, false
// as soon as it rejected it (or after the timeout).
[[nodiscard]] bool reloadWith(const DaemonProcess& daemon, const std::string& yaml) {
    auto ended = [](const json& e) {
        return reloaded()(e) ||
               (e.value("event", "") == "reload" && e.value("level", "") == "error");
    };
    std::size_t before = daemon.countEvents(ended), applied = daemon.countEvents(reloaded());
    std::ofstream(daemon.configPath()) << yaml;
    daemon.signal(SIGHUP);
    return daemon.waitForCount(ended, before + 1) == before + 1 &&
           daemon.countEvents(reloaded()) == applied + 1;
}

// Asserts that a client from sourceIp is refused for `reason` (echo sends no refusal line: the
// connection just ends), without waiting for a timeout if it is served instead.
void expectRefused(const DaemonProcess& daemon, const std::string& sourceIp,
                   const std::string& reason) {
    std::size_t refusals = daemon.countEvents([](const json& e) {
        return e.value("event", "") == "limit" && e.value("msg", "") == "connection refused";
    });
    TestClient newcomer(daemon.port(), "127.0.0.1", sourceIp);
    newcomer.send("x");
    EXPECT_EQ(newcomer.recvExactly(7), "") << "served, not refused";
    EXPECT_TRUE(newcomer.waitClosed());
    EXPECT_EQ(daemon.waitForCount(
                  [&](const json& e) {
                      return e.value("event", "") == "limit" &&
                             e.value("msg", "") == "connection refused" &&
                             e.value("reason", "") == reason;
                  },
                  refusals + 1),
              refusals + 1)
        << daemon.stderrText();
}

void expectServed(TestClient& client, const std::string& text) {
    client.send(text);
    EXPECT_EQ(client.recvExactly(6 + text.size()), "hello " + text);
}

}  // namespace

// Message text is logged only at debug: started at info, the text of a message said after a
// reload to debug must be in the log.
TEST(Reload, AppliesTheLogLevelAtOnce) {
    auto config = [](const std::string& level) {
        return "listen:\n" + kChat + "logging: {level: " + level +
               ", format: json, sink: console}\n";
    };
    DaemonProcess daemon(config("info"));
    ChatClient a(daemon.port());
    std::string nick = a.readGreeting();
    a.send("said at info");
    ASSERT_EQ(a.waitForLine("<" + nick + "> said at info"), "<" + nick + "> said at info");

    ASSERT_TRUE(reloadWith(daemon, config("debug"))) << daemon.stderrText();
    a.send("said at debug");
    ASSERT_EQ(a.waitForLine("<" + nick + "> said at debug"), "<" + nick + "> said at debug");
    EXPECT_TRUE(daemon.waitForEvent([](const json& e) {
        return e.value("event", "") == "message" && e.value("text", "") == "said at debug";
    })) << "the reloaded level was not applied:\n"
        << daemon.stderrText();
    EXPECT_EQ(daemon.stderrText().find("said at info"), std::string::npos);
}

// A daemon with generous limits and one client; lowerTo() reloads with lower ones.
class ReloadLimits : public ::testing::Test {
  protected:
    static std::string config(int total, int perIp) {
        return testConfig(kEcho, "limits: {max_connections: " + std::to_string(total) +
                                     ", max_connections_per_ip: " + std::to_string(perIp) + "}\n");
    }
    ReloadLimits() : daemon_(config(100, 100)), kept_(daemon_.port(), "127.0.0.1", "127.0.0.6") {}
    void lowerTo(int total, int perIp) {
        expectServed(kept_, "first");
        ASSERT_TRUE(reloadWith(daemon_, config(total, perIp))) << daemon_.stderrText();
    }

    DaemonProcess daemon_;
    TestClient kept_;  // a lower limit refuses newcomers, it does not cut anyone
};

TEST_F(ReloadLimits, LoweringTheLimitPerAddressRefusesTheNextNewcomer) {
    lowerTo(100, 1);
    expectRefused(daemon_, "127.0.0.6", "max_connections_per_ip reached");
    TestClient otherAddress(daemon_.port(), "127.0.0.1", "127.0.0.7");
    expectServed(otherAddress, "other");
    expectServed(kept_, "kept");
}

TEST_F(ReloadLimits, LoweringTheTotalLimitRefusesTheNextNewcomer) {
    lowerTo(1, 1);  // the limit per address may not exceed the total; the newcomer's address is new
    expectRefused(daemon_, "127.0.0.9", "max_connections reached");
    expectServed(kept_, "kept");
}

namespace {

// Reloads from `before` to `after` (extra top-level YAML) and expects the reload to succeed
// with the warning `warning`, which only the setting that differs may cause.
void expectRestartNeeded(const std::string& before, const std::string& after,
                         const std::string& warning) {
    DaemonProcess daemon(testConfig(kEcho, before));
    ASSERT_TRUE(reloadWith(daemon, testConfig(kEcho, after))) << daemon.stderrText();
    auto isWarning = [](const json& e) {
        return e.value("event", "") == "reload" && e.value("level", "") == "warn";
    };
    EXPECT_EQ(daemon.countEvents(isWarning), 1u) << daemon.stderrText();
    EXPECT_TRUE(daemon.waitForEvent([&](const json& e) {
        return isWarning(e) && e.value("msg", "") == warning;
    })) << daemon.stderrText();
    EXPECT_EQ(daemon.stop(), 0);
}

}  // namespace

TEST(Reload, ChangedThreadsNeedARestart) {
    expectRestartNeeded("threads: 2\n", "threads: 3\n",
                        "threads changed: restart needed to apply it");
}

TEST(Reload, ChangedMetricsAddressNeedsARestart) {
    expectRestartNeeded("", "metrics: {address: \"127.0.0.1:0\"}\n",
                        "metrics or admin address changed: restart needed to apply it");
}

TEST(Reload, ChangedAdminSocketNeedsARestart) {
    expectRestartNeeded("", "admin: {socket: /run/sockchatd/elsewhere.sock}\n",
                        "metrics or admin address changed: restart needed to apply it");
}

TEST(Reload, ChangedClusterNeedsARestart) {
    expectRestartNeeded("", "cluster: {prefix: \"other:\", nick_ttl: 30s}\n",
                        "cluster.* changed: restart needed to apply it");
}

TEST(Reload, ChangedDefaultRoomNeedsARestart) {
    expectRestartNeeded("", "chat: {default_room: hall}\n",
                        "chat.default_room changed: restart needed to apply it");
}

// SIGHUP reads the file as startup does: a FIFO (on which the reload used to wait for a writer
// forever, stalling the daemon's control loop) and a file over the size cap are refused, the
// running config stays, and the next good file applies.
TEST(Reload, RefusesAFifoAndAFileOverTheCapKeepingTheRunningConfig) {
    DaemonProcess daemon(testConfig(kEcho));
    auto rejections = [&daemon] {
        std::vector<std::string> reasons;
        for (const json& e : daemon.events())
            if (e.value("event", "") == "reload" && e.value("level", "") == "error")
                reasons.push_back(e.value("reason", ""));
        return reasons;
    };
    const std::string path = daemon.configPath();
    std::filesystem::remove(path);
    ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0) << std::strerror(errno);
    daemon.signal(SIGHUP);
    ASSERT_EQ(daemon.waitForCount(
                  [](const json& e) {
                      return e.value("event", "") == "reload" && e.value("level", "") == "error";
                  },
                  1),
              1u)
        << daemon.stderrText();
    EXPECT_EQ(rejections().back(), path + ": not a regular file (FIFO)");
    std::filesystem::remove(path);

    // Valid, but padded past 1 MiB with a comment.
    const std::string newPrefix = testConfig(kEcho, "echo: {prefix: \"new \"}\n");
    EXPECT_FALSE(reloadWith(daemon, newPrefix + "#" + std::string(1024 * 1024, 'x') + "\n"));
    EXPECT_EQ(rejections().back(), path + ": larger than 1MiB, the limit for a config file");

    TestClient before(daemon.port());
    expectServed(before, "x");
    ASSERT_TRUE(reloadWith(daemon, newPrefix)) << daemon.stderrText();
    TestClient after(daemon.port());
    after.send("y");
    EXPECT_EQ(after.recvExactly(5), "new y");
    EXPECT_EQ(daemon.stop(), 0);
}
