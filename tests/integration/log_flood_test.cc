// A flood of clients must not flood the log: per-client events beyond
// logging.client_events_per_second go at debug level, and a summary line accounts for them.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>

#include "daemon_process.h"
#include "test_client.h"

using namespace sockchat::testing;
using nlohmann::json;

namespace {

struct Tally {
    std::size_t logged = 0;    // connect events logged at info
    std::size_t heldBack = 0;  // connect events the summaries say went to debug
    std::size_t summaries = 0;
};

Tally tallyConnects(const DaemonProcess& daemon) {
    Tally t;
    for (const json& e : daemon.events()) {
        std::string event = e.value("event", "");
        if (event == "connect") ++t.logged;
        if (event == "log") {
            ++t.summaries;
            t.heldBack += e.value("connect", std::size_t{0});
        }
    }
    return t;
}

}  // namespace

TEST(LogFlood, ClientEventsBeyondTheBudgetAreSummarisedNotLogged) {
    constexpr std::size_t kBudget = 20, kClients = 300;
    TempFile cfg(
        "listen:\n  - {service: echo, address: \"127.0.0.1:0\"}\n"
        "logging: {level: info, format: json, sink: console, client_events_per_second: 20}\n");
    DaemonProcess::Options opts;
    opts.args = {"-c", cfg.path()};
    DaemonProcess daemon(opts);
    auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < kClients; ++i) {
        TestClient c(daemon.port());
        c.send("x");
        ASSERT_EQ(c.recvExactly(7), "hello x");
    }
    auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start)
            .count();
    // Every connect is accounted for: logged at info, or counted in a summary (which comes
    // within about a second, from the daemon's timer, even though the flood has stopped).
    Tally t;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while ((t = tallyConnects(daemon)).logged + t.heldBack < kClients &&
           std::chrono::steady_clock::now() < deadline)
        (void)daemon.waitForCount([](const json& e) { return e.value("event", "") == "log"; },
                                  t.summaries + 1, 2s);
    std::cout << kClients << " clients in " << seconds << " s: " << t.logged
              << " connect lines at info, " << t.heldBack << " held back in " << t.summaries
              << " summaries\n";
    EXPECT_EQ(t.logged + t.heldBack, kClients);
    EXPECT_LE(t.logged, kBudget * (seconds + 2)) << "the budget was not applied";
    EXPECT_GE(t.summaries, 1u);
    auto summary = daemon.waitForEvent([](const json& e) { return e.value("event", "") == "log"; });
    ASSERT_TRUE(summary);
    EXPECT_EQ((*summary)["level"], "info");
    EXPECT_GT((*summary).value("disconnect", 0), 0) << "disconnects are held back too";
    EXPECT_EQ(daemon.stop(), 0);
}

// At debug level nothing is lost: the held-back events are still written, at debug.
TEST(LogFlood, AtDebugLevelTheHeldBackEventsAreStillWritten) {
    constexpr std::size_t kClients = 60;
    TempFile cfg(
        "listen:\n  - {service: echo, address: \"127.0.0.1:0\"}\n"
        "logging: {level: debug, format: json, sink: console, client_events_per_second: 5}\n");
    DaemonProcess::Options opts;
    opts.args = {"-c", cfg.path()};
    DaemonProcess daemon(opts);
    for (std::size_t i = 0; i < kClients; ++i) {
        TestClient c(daemon.port());
        c.send("x");
        ASSERT_EQ(c.recvExactly(7), "hello x");
    }
    auto isConnect = [](const json& e) { return e.value("event", "") == "connect"; };
    ASSERT_EQ(daemon.waitForCount(isConnect, kClients), kClients);
    std::size_t atDebug = 0;
    for (const json& e : daemon.events())
        if (isConnect(e) && e.value("level", "") == "debug") ++atDebug;
    EXPECT_GT(atDebug, 0u);
    EXPECT_EQ(daemon.stop(), 0);
}
