// Clients that only know one address: HAProxy (`mode tcp`, roundrobin) in front of three
// clustered daemons, as README's "Running several daemons" sets it up. Real redis-server and
// haproxy processes, never mocks.
#include <gtest/gtest.h>

#include <thread>

#include "cluster_harness.h"
#include "haproxy_process.h"

using namespace sockchat::testing;
using namespace std::chrono_literals;

namespace {

std::function<bool(const nlohmann::json&)> connectOn(std::uint16_t port) {
    return [listener = "127.0.0.1:" + std::to_string(port)](const nlohmann::json& e) {
        return e.value("event", "") == "connect" && e.value("listener", "") == listener;
    };
}

TEST(ClusterHaproxy, ClientsSpreadOverThreeDaemonsShareOneRoomInOneOrder) {
    RedisServer redis;
    std::vector<ClusterNode> nodes;
    for (const char* name : {"a", "b", "c"}) nodes.push_back(startNode(redis, name));
    HaproxyProcess haproxy({nodes[0].chatPort(), nodes[1].chatPort(), nodes[2].chatPort()});

    constexpr int kClients = 6;
    std::vector<std::unique_ptr<ChatClient>> clients;
    for (int i = 0; i < kClients; ++i)
        clients.push_back(joinAs(haproxy.port(), "h" + std::to_string(i)));

    // HAProxy spread them: every daemon logged chat connects (HAProxy's readiness probe may add
    // one more on the first daemon).
    std::size_t total = 0;
    for (auto& node : nodes) {
        std::size_t n = node.daemon->waitForCount(connectOn(node.chatPort()), 1);
        EXPECT_GE(n, 1u) << "daemon " << node.name << " got no client through HAProxy";
        total += n;
    }
    EXPECT_GE(total, std::size_t(kClients));

    // Everyone, whichever daemon it is on, sees the last one's rename: all are in #lobby.
    for (int i = 0; i < kClients - 1; ++i)  // the last one has read its own already
        ASSERT_FALSE(
            clients[i]
                ->waitFor([](const std::string& l) { return l.ends_with(" is now known as h5"); })
                .empty())
            << "client h" << i << " never saw h5 arrive: not one chat";

    constexpr int kEach = 10;
    std::vector<std::thread> senders;
    for (int i = 0; i < kClients; ++i)
        senders.emplace_back([&, i] {
            for (int m = 0; m < kEach; ++m)
                clients[i]->send("m" + std::to_string(i) + "." + std::to_string(m));
        });
    for (auto& t : senders) t.join();

    std::vector<std::vector<std::string>> seen;
    for (auto& c : clients) seen.push_back(readMessages(*c, kClients * kEach));
    for (int i = 0; i < kClients; ++i) {
        ASSERT_EQ(seen[i].size(), std::size_t(kClients * kEach)) << "client h" << i;
        EXPECT_EQ(seen[i], seen[0]) << "client h" << i << " saw another order";
    }
    for (int i = 0; i < kClients; ++i) {
        std::string from = "<h" + std::to_string(i) + "> ";
        int next = 0;
        for (const auto& line : seen[0]) {
            if (!line.starts_with(from)) continue;
            EXPECT_EQ(line, from + "m" + std::to_string(i) + "." + std::to_string(next++));
        }
        EXPECT_EQ(next, kEach) << "h" << i << "'s lines";
    }
}

TEST(ClusterHaproxy, AClientThroughHaproxyIsWelcomedWithAClusterWideGuestNick) {
    RedisServer redis;
    ClusterNode a = startNode(redis, "a");
    ClusterNode b = startNode(redis, "b");
    HaproxyProcess haproxy({a.chatPort(), b.chatPort()});

    // One after the other (the second connects once the first has joined): roundrobin sends
    // them to different daemons, and still their guest nicks (from the shared counter) differ
    // and the first sees the second join.
    auto welcomed = [&](ChatClient& c) {
        std::string welcome = c.waitForPrefix(ChatClient::kWelcomePrefix + std::string("guest-"));
        if (welcome.empty()) return std::string();
        EXPECT_TRUE(welcome.ends_with(" in #lobby. Type /help for commands.")) << welcome;
        std::string nick = ChatClient::nickOfWelcome(welcome);
        EXPECT_FALSE(c.waitForLine("-!- " + nick + " joined #lobby").empty()) << nick;
        return nick;
    };
    ChatClient first(haproxy.port());
    std::vector<std::string> nicks{welcomed(first)};
    ASSERT_FALSE(nicks[0].empty()) << "no welcome through HAProxy";
    ChatClient second(haproxy.port());
    nicks.push_back(welcomed(second));
    ASSERT_FALSE(nicks[1].empty()) << "no welcome through HAProxy";
    EXPECT_NE(nicks[0], nicks[1]);
    EXPECT_FALSE(first.waitForLine("-!- " + nicks[1] + " joined #lobby").empty())
        << nicks[0] << " did not see " << nicks[1] << " join: not one chat";
    EXPECT_GE(a.daemon->countEvents(connectOn(a.chatPort())), 1u);
    EXPECT_GE(b.daemon->countEvents(connectOn(b.chatPort())), 1u);
}

}  // namespace
