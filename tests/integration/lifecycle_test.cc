// The daemon's lifecycle hooks, driven the way systemd drives them: sockets passed in by
// LISTEN_FDS, the sd_notify protocol (READY, RELOADING, WATCHDOG), SIGHUP reload.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "chat/chat_client.h"
#include "daemon_process.h"
#include "sockchat/net/address.h"
#include "sockchat/net/socket.h"
#include "test_client.h"

using namespace sockchat::testing;
using nlohmann::json;

namespace {
auto eventIs(const std::string& name) {
    return [name](const json& e) { return e.value("event", "") == name; };
}

sockchat::net::Fd ephemeralListener() {
    int error = 0;
    return sockchat::net::listenTcp(*sockchat::net::SocketAddress::parse("127.0.0.1:0"), 16,
                                    &error);
}
auto reloadEvent(const std::string& level, const std::string& msg) {
    return [level, msg](const json& e) {
        return e.value("event", "") == "reload" && e.value("level", "") == level &&
               e.value("msg", "") == msg;
    };
}
}  // namespace

TEST(Lifecycle, PassedSocketReplacesConfiguredListenerOfItsService) {
    auto passed = ephemeralListener();
    auto passedPort = sockchat::net::localAddress(passed.get()).port();
    TempFile cfg(testConfig());  // also asks for an echo listener on 127.0.0.1:0
    DaemonProcess::Options opts;
    opts.args = {"-c", cfg.path()};
    opts.passedListeners = {{passed.get(), "echo"}};
    DaemonProcess daemon(opts);
    EXPECT_EQ(daemon.port(0), passedPort);
    EXPECT_EQ(daemon.countEvents(eventIs("listen")), 1u);
    TestClient c(passedPort);
    c.send("Wilson");
    EXPECT_EQ(c.recvExactly(12), "hello Wilson");
}

TEST(Lifecycle, PassedSocketWithUnknownNameIsAClearStartupError) {
    auto passed = ephemeralListener();
    TempFile cfg(testConfig());
    DaemonProcess::Options opts;
    opts.args = {"-c", cfg.path()};
    opts.passedListeners = {{passed.get(), "web"}};
    opts.expectReady = false;
    DaemonProcess daemon(opts);
    EXPECT_EQ(daemon.waitExit(), 78);
    EXPECT_NE(daemon.stderrText().find("FileDescriptorName \"web\""), std::string::npos)
        << daemon.stderrText();
}

// threads: 0 means one worker per CPU the daemon may run on (its affinity mask, as set by
// taskset or systemd's CPUAffinity=), not per CPU of the machine.
TEST(Lifecycle, ZeroThreadsMeansOneWorkerPerAllowedCpu) {
    cpu_set_t original;
    ASSERT_EQ(::sched_getaffinity(0, sizeof original, &original), 0);
    if (CPU_COUNT(&original) < 2) GTEST_SKIP() << "needs two allowed CPUs to tell them apart";
    int first = 0;
    while (!CPU_ISSET(first, &original)) ++first;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    TempFile cfg(testConfig("  - {service: echo, address: \"127.0.0.1:0\"}\n", "threads: 0\n"));
    DaemonProcess::Options opts;
    opts.args = {"-c", cfg.path()};
    // The child inherits the mask at fork; restore ours once it has started.
    ASSERT_EQ(::sched_setaffinity(0, sizeof one, &one), 0);
    std::optional<DaemonProcess> oneCpu;
    oneCpu.emplace(opts);
    ASSERT_EQ(::sched_setaffinity(0, sizeof original, &original), 0);
    auto started = oneCpu->waitForEvent(eventIs("start"));
    ASSERT_TRUE(started);
    EXPECT_EQ(started->value("workers", 0u), 1u);

    DaemonProcess allCpus(opts);
    started = allCpus.waitForEvent(eventIs("start"));
    ASSERT_TRUE(started);
    EXPECT_EQ(started->value("workers", 0u), static_cast<unsigned>(CPU_COUNT(&original)));
}

// Stops one thread of the daemon (not the whole process, as SIGSTOP would) by seizing it with
// ptrace, and lets it go again when destroyed. The daemon is our child, so we may trace it.
class StoppedThread {
  public:
    StoppedThread(pid_t pid, const std::string& comm) {
        for (const auto& task :
             std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
            std::string name;
            std::getline(std::ifstream(task.path() / "comm"), name);
            if (name == comm) tid_ = std::stoi(task.path().filename());
        }
        if (tid_ <= 0) throw std::runtime_error("no thread named " + comm);
        if (::ptrace(PTRACE_SEIZE, tid_, nullptr, nullptr) != 0 ||
            ::ptrace(PTRACE_INTERRUPT, tid_, nullptr, nullptr) != 0)
            throw std::runtime_error(std::string("ptrace: ") + std::strerror(errno));
        int status = 0;
        if (::waitpid(tid_, &status, __WALL) != tid_ || !WIFSTOPPED(status))
            throw std::runtime_error("the thread did not stop");
    }
    ~StoppedThread() { ::ptrace(PTRACE_DETACH, tid_, nullptr, nullptr); }

  private:
    pid_t tid_ = -1;
};

TEST(Lifecycle, WatchdogIsPingedOnlyThroughAllWorkers) {
    TempFile cfg(testConfig("  - {service: echo, address: \"127.0.0.1:0\"}\n", "threads: 3\n"));
    DaemonProcess::Options opts;
    opts.args = {"-c", cfg.path()};
    opts.env = {"WATCHDOG_USEC=200000"};
    DaemonProcess daemon(opts);
    ASSERT_TRUE(daemon.waitForEvent(eventIs("watchdog")));
    EXPECT_TRUE(daemon.waitForNotify("WATCHDOG=1", std::chrono::seconds(5)));
    EXPECT_TRUE(daemon.waitForNotify("WATCHDOG=1", std::chrono::seconds(5)));
    {
        // One stuck worker: the control loop still runs, but it must stop pinging, so that the
        // service manager restarts the daemon. (At most one round in flight may still land.)
        StoppedThread stuck(daemon.pid(), "worker-1");
        for (int inFlight = 0; inFlight < 2 && daemon.waitForNotify("WATCHDOG=1", 300ms);)
            ++inFlight;
        EXPECT_FALSE(daemon.waitForNotify("WATCHDOG=1", std::chrono::seconds(1)))
            << "WATCHDOG=1 while worker-1 is stopped";
        TestClient other(daemon.port());  // the other workers and the control loop still serve
        other.send("x");
        EXPECT_EQ(other.recvExactly(7), "hello x");
    }
    EXPECT_TRUE(daemon.waitForNotify("WATCHDOG=1", std::chrono::seconds(5)))
        << "pings again once the worker answers";
    EXPECT_EQ(daemon.stop(), 0);
}

TEST(Lifecycle, ReloadAppliesANewConfigAndKeepsTheOldOneOnError) {
    DaemonProcess daemon(testConfig());
    TestClient before(daemon.port());
    before.send("a");
    ASSERT_EQ(before.recvExactly(7), "hello a");

    std::ofstream(daemon.configPath()) << testConfig(
        "  - {service: echo, address: \"127.0.0.1:0\"}\n", "echo: {prefix: \"hi \"}\n");
    daemon.signal(SIGHUP);
    EXPECT_TRUE(daemon.waitForNotify("RELOADING=1"));
    EXPECT_TRUE(daemon.waitForNotify("READY=1"));
    ASSERT_TRUE(daemon.waitForEvent([](const json& e) {
        return e.value("event", "") == "reload" && e.value("msg", "") == "configuration reloaded";
    }));
    before.send("b");  // an existing connection sees the new prefix too
    EXPECT_EQ(before.recvExactly(4), "hi b");

    std::ofstream(daemon.configPath()) << "echo: {prefix: [not, a, string]}\n";
    daemon.signal(SIGHUP);
    auto rejected = daemon.waitForEvent([](const json& e) {
        return e.value("event", "") == "reload" && e.value("level", "") == "error";
    });
    ASSERT_TRUE(rejected);
    EXPECT_NE((*rejected)["reason"].get<std::string>().find("echo.prefix"), std::string::npos)
        << *rejected;
    EXPECT_TRUE(daemon.waitForNotify("READY=1"));
    EXPECT_TRUE(daemon.waitForNotify("; last reload failed: " + daemon.configPath() + ":1:"))
        << "STATUS= says the running config is not the file's";
    TestClient after(daemon.port());
    after.send("c");
    EXPECT_EQ(after.recvExactly(4), "hi c");
    EXPECT_EQ(daemon.stop(), 0);
}

// A reload binds the listeners that are new, closes the ones that went away (their connections
// stay), and rejects the whole new config, changing nothing, if a new one cannot be bound.
TEST(Lifecycle, ReloadAddsAndRemovesListeners) {
    DaemonProcess daemon(testConfig());
    TestClient echoClient(daemon.port(0));

    std::ofstream(daemon.configPath()) << testConfig(
        "  - {service: echo, address: \"127.0.0.1:0\"}\n"
        "  - {service: chat, address: \"127.0.0.1:0\"}\n");
    daemon.signal(SIGHUP);
    ASSERT_TRUE(daemon.waitForEvent(reloadEvent("info", "configuration reloaded")));
    std::uint16_t chatPort = daemon.port(1);  // from the new listener's `listen` event
    TestClient chatClient(chatPort);
    EXPECT_EQ(chatClient.recvSome().rfind("-!- Welcome to sockchatd!", 0), 0u);

    std::uint16_t echoPort = daemon.port(0);
    std::ofstream(daemon.configPath())
        << testConfig("  - {service: chat, address: \"127.0.0.1:0\"}\n");
    daemon.signal(SIGHUP);
    ASSERT_EQ(daemon.waitForCount(reloadEvent("info", "configuration reloaded"), 2), 2u);
    EXPECT_TRUE(daemon.waitForEvent([&](const json& e) {
        return e.value("msg", "") == "stopped listening" &&
               e.value("listener", "") == "127.0.0.1:" + std::to_string(echoPort);
    }));
    EXPECT_TRUE(connectionRefused(echoPort));
    echoClient.send("still served");  // accepted before the reload: kept
    EXPECT_EQ(echoClient.recvExactly(18), "hello still served");
    TestClient chatAgain(chatPort);  // the kept listener is the same socket, same port
    EXPECT_EQ(chatAgain.recvSome().rfind("-!- Welcome to sockchatd!", 0), 0u);

    // A port in use: the reload fails as a whole, the new prefix is not applied either.
    auto taken = ephemeralListener();
    auto takenPort = sockchat::net::localAddress(taken.get()).port();
    std::ofstream(daemon.configPath()) << testConfig(
        "  - {service: chat, address: \"127.0.0.1:0\"}\n"
        "  - {service: echo, address: \"127.0.0.1:" +
            std::to_string(takenPort) + "\"}\n",
        "chat: {motd: \"new motd\"}\n");
    daemon.signal(SIGHUP);
    auto rejected =
        daemon.waitForEvent(reloadEvent("error", "new config rejected, keeping the running one"));
    ASSERT_TRUE(rejected);
    EXPECT_EQ((*rejected)["reason"], "cannot listen on 127.0.0.1:" + std::to_string(takenPort) +
                                         " (echo): Address already in use");
    TestClient chatAfter(chatPort);
    std::string greeting = chatAfter.recvSome();
    EXPECT_EQ(greeting.find("new motd"), std::string::npos) << greeting;
    EXPECT_EQ(daemon.stop(), 0);
}

// A reload cannot swap the log sink or format under running workers: it says a restart is
// needed and keeps logging as before, while the level (which it can apply) changes. Only chat
// logs at debug (message text), so the level change is seen through a chat client.
TEST(Lifecycle, ReloadKeepsTheLogFormatAndSaysARestartIsNeeded) {
    const std::string chat = "  - {service: chat, address: \"127.0.0.1:0\"}\n";
    DaemonProcess daemon(testConfig(chat));  // JSON at debug
    std::ofstream(daemon.configPath())
        << "listen:\n" + chat + "logging: {level: info, format: text, sink: console}\n";
    daemon.signal(SIGHUP);
    ASSERT_TRUE(daemon.waitForEvent(reloadEvent("info", "configuration reloaded")))
        << daemon.stderrText();
    EXPECT_TRUE(daemon.waitForEvent(
        reloadEvent("warn", "logging.format or logging.sink changed: restart needed to apply it")));
    // Still JSON (the events parse), now at info: connect and disconnect are there, the text of
    // the message said in between (debug) is not. The message is logged before it is sent out,
    // so by the disconnect it would be in the log.
    ChatClient c(daemon.port());
    std::string nick = c.readGreeting();
    c.send("words at info");
    ASSERT_EQ(c.waitForLine("<" + nick + "> words at info"), "<" + nick + "> words at info");
    c.send("/quit");
    EXPECT_TRUE(c.socket().waitClosed());
    ASSERT_TRUE(daemon.waitForEvent([&](const json& e) {
        return e.value("event", "") == "disconnect" && e.value("nick", "") == nick;
    })) << daemon.stderrText();
    EXPECT_TRUE(daemon.waitForEvent(eventIs("connect"), 0ms));
    EXPECT_EQ(daemon.countEvents(eventIs("message")), 0u) << "still logging at debug";
    EXPECT_EQ(daemon.stop(), 0);
    EXPECT_EQ(daemon.stderrText().find("info  connect"), std::string::npos)
        << "switched to text logging in place";
}

TEST(Lifecycle, StoppingIsAnnouncedToTheServiceManager) {
    DaemonProcess daemon(testConfig());
    daemon.signal(SIGTERM);
    EXPECT_TRUE(daemon.waitForNotify("STOPPING=1"));
    EXPECT_EQ(daemon.waitExit(), 0);
}
