// One chat across several daemons on one Redis (real redis-server processes, never a mock).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <thread>

#include "cluster_harness.h"

using namespace sockchat::testing;
using namespace std::chrono_literals;

namespace {


TEST(Cluster, MembersOnEveryDaemonSeeOneOrderAndALateJoinerItsTail) {
    RedisServer redis;
    ClusterNode a = startNode(redis, "a");
    ClusterNode b = startNode(redis, "b");
    std::vector<std::unique_ptr<ChatClient>> clients;
    for (int i = 0; i < 6; ++i)
        clients.push_back(joinAs((i % 2 ? b : a).chatPort(), "p" + std::to_string(i)));
    // Everyone has seen the last one's rename before the burst: all are in, on both daemons.
    for (int i = 0; i < 5; ++i)  // p5 has read its own already
        ASSERT_FALSE(clients[i]->waitFor([](const std::string& l) {
                                   return l.ends_with(" is now known as p5");
                               }).empty());

    constexpr int kEach = 25;
    std::vector<std::thread> senders;
    for (int i = 0; i < 6; ++i)
        senders.emplace_back([&, i] {
            for (int m = 0; m < kEach; ++m)
                clients[i]->send("m" + std::to_string(i) + "." + std::to_string(m));
        });
    for (auto& t : senders) t.join();

    std::vector<std::vector<std::string>> seen;
    for (auto& c : clients) seen.push_back(readMessages(*c, 6 * kEach));
    for (std::size_t i = 0; i < seen.size(); ++i) {
        ASSERT_EQ(seen[i].size(), 6u * kEach) << "client p" << i;
        EXPECT_EQ(seen[i], seen[0]) << "client p" << i << " saw another order";
    }
    // Each sender's lines in the order it sent them.
    for (int i = 0; i < 6; ++i) {
        int next = 0;
        for (const auto& line : seen[0]) {
            if (line.rfind("<p" + std::to_string(i) + "> ", 0) != 0) continue;
            EXPECT_EQ(line, "<p" + std::to_string(i) + "> m" + std::to_string(i) + "." +
                                std::to_string(next++));
        }
        EXPECT_EQ(next, kEach);
    }

    // A newcomer on either daemon gets the last 20 (chat.history) as history, in that order.
    for (auto* node : {&a, &b}) {
        ChatClient late(node->chatPort());
        std::vector<std::string> history;
        std::string line;
        while (!(line = late.nextLine()).empty() && line.rfind("* guest-", 0) != 0)
            if (line.rfind("[history] ", 0) == 0) history.push_back(line.substr(10));
        std::vector<std::string> tail(seen[0].end() - 20, seen[0].end());
        EXPECT_EQ(history, tail) << "on node " << node->name;
    }
}

TEST(Cluster, TheSameNickAskedForOnTwoDaemonsAtOnceGoesToExactlyOne) {
    RedisServer redis;
    ClusterNode a = startNode(redis, "a");
    ClusterNode b = startNode(redis, "b");
    for (int round = 0; round < 5; ++round) {
        ChatClient x(a.chatPort()), y(b.chatPort());
        std::string xNick = x.readGreeting(), yNick = y.readGreeting();
        std::string wanted = "zed" + std::to_string(round);
        std::thread tx([&] { x.send("/nick " + wanted); });
        y.send("/nick " + wanted);
        tx.join();
        auto answer = [&](ChatClient& c, const std::string& own) {
            return c.waitFor([&](const std::string& l) {
                return l == "* " + own + " is now known as " + wanted ||
                       l == "! nick " + wanted + " is taken";
            });
        };
        std::string ax = answer(x, xNick), ay = answer(y, yNick);
        int won = (ax.ends_with("known as " + wanted) ? 1 : 0) +
                  (ay.ends_with("known as " + wanted) ? 1 : 0);
        int lost = (ax.rfind("! nick", 0) == 0 ? 1 : 0) + (ay.rfind("! nick", 0) == 0 ? 1 : 0);
        EXPECT_EQ(won, 1) << ax << " / " << ay;
        EXPECT_EQ(lost, 1) << ax << " / " << ay;
    }
}

TEST(Cluster, PrivateMessagesWhoAndRoomsSpanTheDaemons) {
    RedisServer redis;
    ClusterNode a = startNode(redis, "a");
    ClusterNode b = startNode(redis, "b");
    auto ann = joinAs(a.chatPort(), "ann");
    auto bob = joinAs(b.chatPort(), "bob");
    bob->send("/join side");
    ASSERT_FALSE(bob->waitForLine("* bob joined #side").empty());

    ann->send("/msg BOB psst");
    EXPECT_FALSE(ann->waitForLine("[msg to bob] psst").empty());
    EXPECT_FALSE(bob->waitForLine("[msg from ann] psst").empty());
    ann->send("/msg nobody hi");
    EXPECT_FALSE(ann->waitForLine("! no such nick nobody").empty());

    ann->send("/who side");
    EXPECT_FALSE(ann->waitForLine("* #side: bob").empty());
    ann->send("/who");
    EXPECT_FALSE(ann->waitForLine("* #lobby: ann, bob").empty());
    ann->send("/rooms");
    EXPECT_FALSE(ann->waitForLine("* rooms: #lobby (2), #side (1)").empty());
    ann->send("/whois bob");
    EXPECT_FALSE(ann->waitForLine("* bob: in #lobby, #side").empty());
}

TEST(Cluster, AKilledDaemonsMembersLeaveOnceAndItsNicksComeFree) {
    RedisServer redis;
    ClusterNode a = startNode(redis, "a");
    ClusterNode b = startNode(redis, "b");
    auto dora = joinAs(b.chatPort(), "dora");
    auto carl = joinAs(a.chatPort(), "carl");
    ASSERT_FALSE(
        dora->waitFor([](const std::string& l) { return l.ends_with(" is now known as carl"); })
            .empty());
    a.daemon->signal(SIGKILL);
    ASSERT_EQ(a.daemon->waitExit(), 128 + SIGKILL);
    // nick_ttl is 3s: gone within it and a heartbeat.
    std::string left = dora->waitFor(
        [](const std::string& l) { return l.rfind("* carl left #lobby", 0) == 0; }, 10s);
    EXPECT_EQ(left, "* carl left #lobby (lost: its server stopped answering)");
    dora->send("/nick carl");
    EXPECT_FALSE(dora->waitForLine("* dora is now known as carl").empty());
    dora->send("/who");
    EXPECT_FALSE(dora->waitForLine("* #lobby: carl").empty());
    for (const auto& line : dora->skipped())
        EXPECT_NE(line.rfind("* carl left", 0), 0u) << "told twice: " << line;
}

TEST(Cluster, RedisNotThereAtStartPausesChatNotEchoUntilItComes) {
    RedisServer::Options options;
    options.start = false;
    RedisServer redis(options);
    DaemonProcess daemon(clusterConfig("127.0.0.1:" + std::to_string(redis.port()), "a"));
    ASSERT_TRUE(waitForLink(daemon, "down"));
    ChatClient chat(daemon.port(0));
    EXPECT_FALSE(chat.waitForLine("! chat is paused: the cluster link is down").empty());
    TestClient echo(daemon.port(1));
    echo.send("still here\n");
    EXPECT_EQ(echo.recvExactly(17), "hello still here\n");
    redis.start();
    ASSERT_TRUE(waitForLink(daemon, "up", 15s));
    ChatClient later(daemon.port(0));
    EXPECT_NO_THROW(later.readGreeting());
    later.send("hi");
    EXPECT_FALSE(later.waitFor([](const std::string& l) { return l.ends_with("> hi"); }).empty());
}

TEST(Cluster, AWrongPasswordIsACleanLogLineAndChatStaysPaused) {
    RedisServer::Options options;
    options.password = "right";
    RedisServer redis(options);
    TempFile secret("wrong\n", "redis.pass");
    ::chmod(secret.path().c_str(), 0600);
    DaemonProcess daemon(clusterConfig("127.0.0.1:" + std::to_string(redis.port()), "a", "",
                                       ", password_file: " + secret.path()));
    auto down = daemon.waitForEvent([](const nlohmann::json& e) {
        return e.value("event", "") == "cluster" && e.value("state", "") == "down";
    });
    ASSERT_TRUE(down);
    EXPECT_NE(down->value("reason", "").find("AUTH"), std::string::npos) << down->dump();
    EXPECT_EQ(daemon.stderrText().find("wrong"), std::string::npos) << "the secret was logged";
    ChatClient chat(daemon.port(0));
    EXPECT_FALSE(chat.waitForLine("! chat is paused: the cluster link is down").empty());
}

TEST(Cluster, AMessageSentDuringAnOutageIsAnErrorAndChatResumesAfter) {
    RedisServer redis;
    ClusterNode a = startNode(redis, "a");
    ClusterNode b = startNode(redis, "b");
    auto ann = joinAs(a.chatPort(), "ann");
    auto bob = joinAs(b.chatPort(), "bob");
    ASSERT_FALSE(
        ann->waitFor([](const std::string& l) { return l.ends_with("is now known as bob"); })
            .empty());
    redis.stop(true);
    ASSERT_TRUE(waitForLink(*a.daemon, "down"));
    EXPECT_FALSE(ann->waitForLine("* chat is paused: the cluster link is down").empty());
    ann->send("lost?");
    EXPECT_FALSE(ann->waitForLine("! chat is paused: the cluster link is down").empty());
    redis.start();
    ASSERT_TRUE(waitForLink(*a.daemon, "up", 15s));
    ASSERT_TRUE(waitForLink(*b.daemon, "up", 15s));
    EXPECT_FALSE(ann->waitForLine("* chat is back: the cluster link is up again").empty());
    ann->send("back");
    EXPECT_FALSE(bob->waitForLine("<ann> back").empty());
    for (const auto& line : bob->skipped()) EXPECT_NE(line, "<ann> lost?");
}

}  // namespace
