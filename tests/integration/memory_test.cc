// Memory comes back when clients go. glibc keeps freed memory in its per-thread arenas: before
// the daemon trimmed them, three rounds of clients with full buffers left it at 270 MB with none
// connected. Plain build only (tests/integration/CMakeLists.txt): the sanitizers' allocators
// keep freed memory on purpose (quarantine), so RSS says nothing there.
#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <vector>

#include "daemon_process.h"
#include "test_client.h"

using namespace sockchat::testing;
using nlohmann::json;

TEST(Memory, RssComesBackWhenClientsGo) {
    constexpr int kClients = 400, kRounds = 2;
    TempFile cfg(testConfig("  - {service: chat, address: \"127.0.0.1:0\"}\n",
                            "threads: 2\n"
                            "limits: {messages_per_second: 10000, burst: 100000,"
                            " max_connections_per_ip: 10000}\n"));
    DaemonProcess::Options opts;
    opts.args = {"-c", cfg.path()};
    opts.maxFds = 4096;
    DaemonProcess daemon(opts);
    long baseline = daemon.rssKiB();
    // Each client: its own room, 20 lines of 4,000 0xff bytes (kept as 12,000 bytes each), and
    // it reads nothing until all have sent, so its echoes wait in the daemon's output buffer.
    std::string burst = "/hello text\n";
    for (int i = 0; i < 20; ++i) burst += std::string(4000, '\xff') + "\n";
    auto released = [](const json& e) { return e.value("event", "") == "memory"; };
    long peak = 0, after = 0;
    for (int round = 0; round < kRounds; ++round) {
        {
            std::vector<std::unique_ptr<TestClient>> clients;
            for (int i = 0; i < kClients; ++i) {
                clients.push_back(std::make_unique<TestClient>(daemon.port()));
                clients.back()->send("/join #r" + std::to_string(i) + "\n" + burst);
            }
            // The last client's own 20 echoes come back: everyone's lines are in.
            std::string got;
            while (got.size() < 20 * 12000)
                if (std::string more = clients.back()->recvSome(10s); !more.empty())
                    got += more;
                else
                    break;
            peak = std::max(peak, daemon.rssKiB());
        }  // all close
        ASSERT_EQ(daemon.waitForCount(released, round + 1, 15s), std::size_t(round + 1))
            << "the daemon never gave memory back";
        after = daemon.rssKiB();
        std::cout << "round " << round << ": RSS " << baseline << " KiB at start, " << peak
                  << " KiB peak, " << after << " KiB once the clients left\n";
    }
    EXPECT_LT(after - baseline, (peak - baseline) / 4)
        << "most of what the clients cost stayed with the daemon";
    EXPECT_EQ(daemon.stop(), 0);
}
