// The Prometheus endpoint (metrics.address), scraped over a real socket.
#include <gtest/gtest.h>

#include "daemon_process.h"
#include "test_client.h"

using namespace sockchat::testing;
using nlohmann::json;

TEST(Metrics, ScrapeShowsLiveConnectionCounts) {
    DaemonProcess daemon(testConfig("  - {service: echo, address: \"127.0.0.1:0\"}\n",
                                    "metrics: {address: \"127.0.0.1:0\"}\n"));
    auto port = metricsPort(daemon);
    ASSERT_NE(port, 0);
    TestClient a(daemon.port(0)), b(daemon.port(0));
    a.send("x");
    ASSERT_EQ(a.recvExactly(7), "hello x");
    b.send("y");
    ASSERT_EQ(b.recvExactly(7), "hello y");

    std::string r = httpGet(port, "/metrics");
    EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
    EXPECT_NE(r.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << r;
    EXPECT_NE(r.find("\nsockchatd_connections{service=\"echo\"} 2\n"), std::string::npos) << r;
    EXPECT_NE(r.find("\nsockchatd_connections{service=\"chat\"} 0\n"), std::string::npos) << r;
    EXPECT_NE(r.find("\nsockchatd_build_info{version=\"" SOCKCHAT_VERSION "\"} 1\n"),
              std::string::npos)
        << r;
    EXPECT_NE(r.find("\nsockchatd_connections_accepted_total 2\n"), std::string::npos) << r;
    EXPECT_NE(r.find("# TYPE sockchatd_connections_refused_total counter\n"), std::string::npos)
        << r;
    // Content-Length must match the body exactly, or scrapers truncate or hang.
    auto headerEnd = r.find("\r\n\r\n");
    auto lengthAt = r.find("Content-Length: ");
    ASSERT_NE(headerEnd, std::string::npos);
    ASSERT_NE(lengthAt, std::string::npos);
    EXPECT_EQ(std::stoul(r.substr(lengthAt + 16)), r.size() - headerEnd - 4);
}

// Metrics promise "accepted and refused totals": a refusal by a connection limit counts.
TEST(Metrics, RefusedTotalCountsEachRefusal) {
    DaemonProcess daemon(testConfig("  - {service: echo, address: \"127.0.0.1:0\"}\n",
                                    "metrics: {address: \"127.0.0.1:0\"}\n"
                                    "limits: {max_connections: 100, max_connections_per_ip: 1}\n"));
    auto port = metricsPort(daemon);
    ASSERT_NE(port, 0);
    TestClient holder(daemon.port());
    holder.send("x");
    ASSERT_EQ(holder.recvExactly(7), "hello x");
    EXPECT_NE(httpGet(port, "/metrics").find("\nsockchatd_connections_refused_total 0\n"),
              std::string::npos);
    for (int i = 0; i < 2; ++i) {
        TestClient refused(daemon.port());
        ASSERT_TRUE(refused.waitClosed());  // the daemon counted it before it closed it
    }
    std::string r = httpGet(port, "/metrics");
    EXPECT_NE(r.find("\nsockchatd_connections_refused_total 2\n"), std::string::npos) << r;
    EXPECT_NE(r.find("\nsockchatd_connections_accepted_total 1\n"), std::string::npos) << r;
}

TEST(Metrics, OtherPathsAre404AndASilentClientBlocksNobody) {
    DaemonProcess daemon(testConfig("  - {service: echo, address: \"127.0.0.1:0\"}\n",
                                    "metrics: {address: \"127.0.0.1:0\"}\n"));
    auto port = metricsPort(daemon);
    ASSERT_NE(port, 0);
    TestClient silent(port);  // connects and says nothing
    EXPECT_EQ(httpGet(port, "/").rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u);
    EXPECT_EQ(httpGet(port, "/metrics").rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
}

// The metrics listener lives on the control loop: out of fds, it must pause like the workers do,
// not spin the loop that also runs signals, reload and the watchdog.
TEST(Metrics, OutOfFileDescriptorsPausesTheEndpointInsteadOfSpinning) {
    DaemonProcess::Options opts;
    TempFile cfg(testConfig("  - {service: echo, address: \"127.0.0.1:0\"}\n",
                            "threads: 1\nmetrics: {address: \"127.0.0.1:0\"}\n"
                            "limits: {max_connections: 1000, max_connections_per_ip: 1000}\n"));
    opts.args = {"-c", cfg.path()};
    opts.maxFds = 40;
    DaemonProcess daemon(opts);
    auto port = metricsPort(daemon);
    ASSERT_NE(port, 0);
    std::vector<std::unique_ptr<TestClient>> clients;
    for (int i = 0; i < 60; ++i) clients.push_back(std::make_unique<TestClient>(daemon.port()));
    auto workerOutOfFds = [](const json& e) {
        return e.value("event", "") == "limit" &&
               e.value("msg", "").find("file descriptors") != std::string::npos;
    };
    ASSERT_EQ(daemon.waitForCount(workerOutOfFds, 1), 1u) << daemon.stderrText();
    // Queued in the metrics listener's backlog: readable, not acceptable. Several, so that one
    // taking an fd that comes free for a moment (the sanitizers' runtimes open files) does not
    // end the test's out-of-fds state.
    std::vector<std::unique_ptr<TestClient>> scrapers;
    for (int i = 0; i < 8; ++i) scrapers.push_back(std::make_unique<TestClient>(port));
    auto metricsPaused = [](const json& e) {
        return e.value("event", "") == "limit" &&
               e.value("msg", "").find("metrics") != std::string::npos;
    };
    expectPausedNotSpinning(daemon, metricsPaused, "the metrics listener");

    clients.clear();  // fds come back: the endpoint answers again
    std::string r;
    for (int i = 0; i < 50 && r.rfind("HTTP/1.1 200 OK\r\n", 0) != 0; ++i)
        r = httpGet(port, "/metrics");
    EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
    EXPECT_EQ(daemon.stop(), 0);
}

// The exposition passes Prometheus' own linter (promtool, Debian's prometheus package), and the
// counters move with what clients do.
TEST(Metrics, ALiveScrapePassesPromtoolAndCountsWhatClientsDid) {
    DaemonProcess daemon(
        testConfig("  - {service: echo, address: \"127.0.0.1:0\"}\n"
                   "  - {service: chat, address: \"127.0.0.1:0\"}\n",
                   "metrics: {address: \"127.0.0.1:0\"}\n"));
    auto port = metricsPort(daemon);
    ASSERT_NE(port, 0);
    TestClient echo(daemon.port(0)), chat(daemon.port(1));
    echo.send("x");
    ASSERT_EQ(echo.recvExactly(7), "hello x");
    chat.send("/join #metrics\nhi there\n");
    std::string seen;
    while (seen.find("> hi there\n") == std::string::npos) {
        std::string more = chat.recvSome(5s);
        if (more.empty()) break;
        seen += more;
    }
    ASSERT_NE(seen.find("> hi there\n"), std::string::npos) << seen;

    std::string r = httpGet(port, "/metrics");
    std::string body = r.substr(r.find("\r\n\r\n") + 4);
    EXPECT_NE(body.find("\nsockchatd_chat_messages_total 1\n"), std::string::npos) << body;
    EXPECT_NE(body.find("\nsockchatd_connections{service=\"chat\"} 1\n"), std::string::npos);
    EXPECT_NE(body.find("\nsockchatd_chat_rooms 2\n"), std::string::npos) << body;
    // "x", "/join #metrics\n", "hi there\n"
    EXPECT_NE(body.find("\nsockchatd_received_bytes_total 25\n"), std::string::npos) << body;
    EXPECT_NE(body.find("sockchatd_connections_dropped_total{reason=\"slow consumer\"} 0\n"),
              std::string::npos);
    TempFile scraped(body, "metrics.txt");
    ProcessResult lint =
        runProgram({"/bin/sh", "-c", "promtool check metrics < '" + scraped.path() + "'"});
    EXPECT_EQ(lint.exitCode, 0) << lint.stdoutText << lint.stderrText;
    EXPECT_EQ(lint.stdoutText + lint.stderrText, "") << "promtool found problems";
}

namespace {
long workerConnections(const std::string& scrape, int worker) {
    std::string key = "\nsockchatd_worker_connections{worker=\"" + std::to_string(worker) + "\"} ";
    auto at = scrape.find(key);
    return at == std::string::npos ? -1 : std::stol(scrape.substr(at + key.size()));
}
}  // namespace

// EPOLLEXCLUSIVE wakes one idle worker, and a woken worker accepts a whole batch: without
// placement a burst of newcomers lands on one worker while the other idles. Each newcomer lives
// on the worker with the fewest connections, whichever accepted it.
TEST(Metrics, ABurstOfNewcomersIsSpreadEvenlyOverTheWorkers) {
    DaemonProcess daemon(testConfig("  - {service: echo, address: \"127.0.0.1:0\"}\n",
                                    "threads: 2\nmetrics: {address: \"127.0.0.1:0\"}\n"));
    auto port = metricsPort(daemon);
    ASSERT_NE(port, 0);
    constexpr int kClients = 60;
    std::vector<std::unique_ptr<TestClient>> clients;
    for (int i = 0; i < kClients; ++i)
        clients.push_back(std::make_unique<TestClient>(daemon.port()));
    for (auto& c : clients) c->send("x");
    for (auto& c : clients) ASSERT_EQ(c->recvExactly(7), "hello x");
    std::string r = httpGet(port, "/metrics");
    long w0 = workerConnections(r, 0), w1 = workerConnections(r, 1);
    std::printf("[ figure ] %d clients in a burst: worker 0 has %ld, worker 1 has %ld\n", kClients,
                w0, w1);
    EXPECT_EQ(w0 + w1, kClients) << r;
    EXPECT_LE(std::abs(w0 - w1), 4) << r;
}
