// The operator's sockctl against the real daemon: status, clients, rooms, kick, say, reload,
// log-level, stop through the admin socket, with nc-style clients and `sockctl chat` on the other
// end. (The client's own error paths, against a socket the test serves, are in
// sockctl_admin_test.cc.)
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "chat/chat_client.h"
#include "daemon_process.h"
#include "sockctl_fixture.h"
#include "sockctl_process.h"

namespace {

// A daemon with an echo and a chat listener and an admin socket in a directory of its own.
class SockctlOperator : public ::testing::Test {
  protected:
    SockctlOperator()
        : cfg_(testConfig(echoListener() + chatListener(),
                          "admin: {socket: \"" + socketPath() + "\", group: \"\"}\n")),
          daemon_(options(cfg_)) {}

    static DaemonProcess::Options options(const TempFile& cfg) {
        DaemonProcess::Options opts;
        opts.args = {"-c", cfg.path()};
        return opts;
    }
    // Next to the config file, in TempFile's private directory (mode 0700: only root gets in,
    // unless a test opens it).
    std::string socketPath() const { return dir_ + "/admin.sock"; }

    ProcessResult sockctl(std::vector<std::string> args, const std::string& asUser = "") {
        std::vector<std::string> argv;
        if (!asUser.empty())
            argv = {"/usr/bin/setpriv", "--reuid=" + asUser, "--regid=nogroup", "--clear-groups"};
        argv.push_back(SOCKCTL_BIN);
        // The config is in a directory only root may read: another user names the socket.
        if (asUser.empty())
            argv.insert(argv.end(), {"-c", cfg_.path()});
        else
            argv.insert(argv.end(), {"--socket", socketPath()});
        argv.insert(argv.end(), args.begin(), args.end());
        auto r = runProgram(argv, std::chrono::seconds(40));
        expectNoSanitizerReport(r.stderrText, "sockctl");
        return r;
    }

    std::unique_ptr<ChatClient> chatter(const std::string& nick) {
        auto c = std::make_unique<ChatClient>(daemon_.port(1));
        c->readGreeting();
        c->nick(nick);
        return c;
    }

    static std::string makeDir() {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "sockctl-operator-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        return tmpl;
    }

    std::string dir_ = makeDir();
    TempFile cfg_;
    DaemonProcess daemon_;

  public:
    ~SockctlOperator() override { std::filesystem::remove_all(dir_); }
};

TEST_F(SockctlOperator, StatusClientsAndRoomsShowWhatIsThere) {
    auto alice = chatter("alice");
    alice->send("/join #dev");
    ASSERT_FALSE(alice->waitForLine("-!- alice joined #dev").empty());
    TestClient echo(daemon_.port(0));
    echo.send("x");
    ASSERT_EQ(echo.recvExactly(7), "hello x");

    auto status = sockctl({"status"});
    EXPECT_EQ(status.exitCode, 0) << status.stderrText;
    EXPECT_EQ(
        status.stdoutText.rfind(
            "sockchatd " SOCKCHAT_VERSION "  pid " + std::to_string(daemon_.pid()) + "  up ", 0),
        0u)
        << status.stdoutText;
    EXPECT_NE(status.stdoutText.find("chat     127.0.0.1:" + std::to_string(daemon_.port(1))),
              std::string::npos)
        << status.stdoutText;
    EXPECT_NE(status.stdoutText.find("totals    2 accepted, 0 refused"), std::string::npos)
        << status.stdoutText;

    auto clients = sockctl({"clients", "--room", "dev"});
    EXPECT_EQ(clients.exitCode, 0) << clients.stderrText;
    EXPECT_NE(clients.stdoutText.find("alice"), std::string::npos) << clients.stdoutText;
    EXPECT_EQ(occurrences(clients.stdoutText, "\n"), 2u) << "a header and alice:\n"
                                                         << clients.stdoutText;
    auto rooms = sockctl({"rooms", "--json"});
    EXPECT_EQ(rooms.exitCode, 0);
    auto parsed = nlohmann::json::parse(rooms.stdoutText);
    ASSERT_EQ(parsed["rooms"].size(), 2u) << rooms.stdoutText;
    EXPECT_NE(
        rooms.stdoutText.find("{\"history\":0,\"members\":1,\"messages\":0,\"name\":\"#dev\"}"),
        std::string::npos)
        << rooms.stdoutText;
}

// kick and say reach the right clients only; an nc-style client and `sockctl chat` both show
// the notice as the server's.
TEST_F(SockctlOperator, KickAndSayReachTheRightClientsOnly) {
    auto alice = chatter("alice"), bob = chatter("bob");
    SockctlProcess carol({"chat", at(daemon_.port(1)), "--nick", "carol"});
    ASSERT_TRUE(carol.waitForStdout("carol joined #lobby")) << carol.stderrText();

    auto said = sockctl({"say", "--client", "carol", "only", "for", "carol"});
    EXPECT_EQ(said.exitCode, 0) << said.stderrText;
    EXPECT_EQ(said.stdoutText, "delivered to 1 client\n");
    EXPECT_TRUE(carol.waitForStdout("-!- [operator] only for carol")) << carol.stdoutText();
    auto all = sockctl({"say", "--all", "maintenance at five"});
    EXPECT_EQ(all.stdoutText, "delivered to 3 clients\n");
    EXPECT_EQ(bob->waitFor([](const std::string& l) { return l.find("[operator]") != l.npos; }),
              "-!- [operator] maintenance at five")
        << "bob saw carol's notice, or not his own";

    auto kicked = sockctl({"kick", "alice", "--reason", "spam"});
    EXPECT_EQ(kicked.exitCode, 0) << kicked.stderrText;
    EXPECT_NE(kicked.stdoutText.find("(alice)"), std::string::npos) << kicked.stdoutText;
    EXPECT_FALSE(alice->waitForLine("! closing: kicked by the operator: spam").empty());
    EXPECT_TRUE(alice->socket().waitClosed());
    EXPECT_FALSE(bob->waitForLine("-!- alice left #lobby (kick: spam)").empty());
    EXPECT_TRUE(daemon_.waitForEvent(
        [](const nlohmann::json& e) { return e.value("event", "") == "kick"; }));

    auto again = sockctl({"kick", "alice"});
    EXPECT_EQ(again.exitCode, 1);
    EXPECT_EQ(again.stderrText, "sockctl: no such client: alice\n");
}

TEST_F(SockctlOperator, ReloadPrintsTheChangesOrFailsWith78KeepingTheRunningConfig) {
    std::string text = testConfig(echoListener() + chatListener(),
                                  "admin: {socket: \"" + socketPath() + "\", group: \"\"}\n");
    std::ofstream(cfg_.path()) << text << "limits: {max_connections: 2000}\n";
    auto good = sockctl({"reload"});
    EXPECT_EQ(good.exitCode, 0) << good.stderrText;
    EXPECT_NE(good.stdoutText.find("limits.max_connections: 10000 -> 2000"), std::string::npos)
        << good.stdoutText;

    std::ofstream(cfg_.path()) << text << "limits: {max_connections: lots}\n";
    auto bad = sockctl({"reload"});
    EXPECT_EQ(bad.exitCode, 78) << bad.stdoutText << bad.stderrText;
    EXPECT_NE(bad.stderrText.find("sockctl: the running config stays"), std::string::npos)
        << bad.stderrText;
    EXPECT_NE(bad.stderrText.find("sockctl: reload failed: " + cfg_.path() + ":"),
              std::string::npos)
        << bad.stderrText;
    TestClient echo(daemon_.port(0));
    echo.send("x");
    EXPECT_EQ(echo.recvExactly(7), "hello x") << "the running config stopped serving";
}

TEST_F(SockctlOperator, LogLevelAndStop) {
    auto level = sockctl({"log-level", "warn"});
    EXPECT_EQ(level.stdoutText, "log level warn (was debug)\n") << level.stderrText;
    EXPECT_TRUE(daemon_.waitForEvent([](const nlohmann::json& e) {
        return e.value("event", "") == "admin" && e.value("level", "") == "warn";
    }));
    auto stop = sockctl({"stop"});
    EXPECT_EQ(stop.exitCode, 0) << stop.stderrText;
    EXPECT_EQ(daemon_.waitExit(), 0);
    auto after = sockctl({"status"});
    EXPECT_EQ(after.exitCode, 69) << "no daemon, no socket: " << after.stderrText;
}

// Run as nobody: refused with 77 whether the socket file's mode or the daemon says no, and the
// daemon logs the one that reached it.
TEST_F(SockctlOperator, AnUnprivilegedUserIsRefusedWith77AndLogged) {
    ::chmod(dir_.c_str(), 0755);
    auto byMode = sockctl({"status"}, "nobody");
    EXPECT_EQ(byMode.exitCode, 77) << byMode.stderrText;
    EXPECT_NE(byMode.stderrText.find("permission denied on " + socketPath()), std::string::npos)
        << byMode.stderrText;

    ::chmod(socketPath().c_str(), 0666);
    auto byDaemon = sockctl({"status"}, "nobody");
    EXPECT_EQ(byDaemon.exitCode, 77) << byDaemon.stdoutText << byDaemon.stderrText;
    auto logged = daemon_.waitForEvent([](const nlohmann::json& e) {
        return e.value("event", "") == "limit" && e.contains("uid");
    });
    ASSERT_TRUE(logged);
    EXPECT_EQ((*logged)["uid"], 65534);
}

}  // namespace
