// Subscriber Connections and the SubscriptionProbe: messages arrive, subscriptions survive
// server restarts and dropped or stalled links.
#include <gtest/gtest.h>

#include "redis_harness.h"
#include "sockchat/redis/subscription_probe.h"
#include "tcp_proxy.h"

namespace sockchat::testing {
namespace {

class SubscriberTest : public RedisTest {
  protected:
    Connection::Options subscriberOptions(const RedisServer& server) {
        auto o = options(server);
        o.role = Connection::Role::kSubscriber;
        return o;
    }

    void subscribe(Connection& s, const std::string& channel) {
        loop.call([&] {
            s.subscribe(channel, [this](const std::string& ch, const std::string& payload) {
                events.add("message " + ch + ": " + payload);
            });
            return 0;
        });
    }

    // PUBLISH until the server counts `receivers` subscribers (a SUBSCRIBE just sent may not
    // have reached the server yet); returns whether it got there in time.
    bool publishUntilReceived(const RedisServer& server, const std::string& channel,
                              const std::string& payload, std::int64_t receivers = 1) {
        auto deadline = std::chrono::steady_clock::now() + 5s;
        while (std::chrono::steady_clock::now() < deadline) {
            if (server.command({"PUBLISH", channel, payload}).integer() >= receivers) return true;
            loop.call([] { return 0; });
        }
        return false;
    }
};

TEST_F(SubscriberTest, ReceivesMessagesOnItsChannelsOnly) {
    RedisServer server;
    Connection& s = make(subscriberOptions(server), "s ");
    ASSERT_TRUE(events.waitCount("s up", 1)) << events.dump();
    subscribe(s, "room:1");
    subscribe(s, std::string("bin\0ary", 7));
    ASSERT_TRUE(publishUntilReceived(server, "room:1", "hello"));
    ASSERT_TRUE(publishUntilReceived(server, std::string("bin\0ary", 7), "x"));
    EXPECT_EQ(server.command({"PUBLISH", "room:2", "not for us"}).integer(), 0);
    ASSERT_TRUE(events.waitCount("message", 2)) << events.dump();
    EXPECT_EQ(events.count("message room:1: hello"), 1u) << events.dump();
    loop.call([&] {
        s.unsubscribe("room:1");
        return 0;
    });
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (server.command({"PUBLISH", "room:1", "gone"}).integer() != 0 &&
           std::chrono::steady_clock::now() < deadline)
        loop.call([] { return 0; });
    EXPECT_EQ(server.command({"PUBLISH", "room:1", "gone"}).integer(), 0);
}

TEST_F(SubscriberTest, SubscriberRefusesCommands) {
    RedisServer server;
    Connection& s = make(subscriberOptions(server), "s ");
    ASSERT_TRUE(events.waitCount("s up", 1)) << events.dump();
    EXPECT_TRUE(run(s, {"PING"}).isError());
}

TEST_F(SubscriberTest, DestroyInsideItsOwnMessageHandler) {
    RedisServer server;
    Connection& s = make(subscriberOptions(server), "s ");
    loop.call([&] {
        auto handler = [this, &s](const std::string& ch, const std::string&) {
            events.add("message " + ch);
            std::erase_if(connections(), [&](const auto& p) { return p.get() == &s; });
        };
        s.subscribe("a", handler);
        s.subscribe("b", handler);
        return 0;
    });
    ASSERT_TRUE(events.waitCount("s up", 1)) << events.dump();
    // Up may have come before these SUBSCRIBEs (sent while up) reached the server: wait until
    // it counts both, or a PUBLISH below could find nobody and prove nothing.
    auto deadline = std::chrono::steady_clock::now() + 5s;
    auto bothSubscribed = [&] {
        Reply counts = server.command({"PUBSUB", "NUMSUB", "a", "b"});
        return counts.elements().size() == 4 && counts.elements()[1] == Reply::integer(1) &&
               counts.elements()[3] == Reply::integer(1);
    };
    while (!bothSubscribed() && std::chrono::steady_clock::now() < deadline)
        loop.call([] { return 0; });
    ASSERT_TRUE(bothSubscribed());
    // Two messages in one read: the second must not reach the destroyed Connection.
    Reply published = server.command({"EVAL",
                                      "redis.call('PUBLISH', 'a', 'x'); "
                                      "return redis.call('PUBLISH', 'b', 'y')",
                                      "0"});
    EXPECT_EQ(published, Reply::integer(1));
    ASSERT_TRUE(events.waitCount("message", 1)) << events.dump();
    for (int i = 0; i < 3; ++i) loop.call([] { return 0; });
    EXPECT_EQ(events.count("message"), 1u) << events.dump();
    EXPECT_EQ(events.count("s down"), 0u) << events.dump();
}

TEST_F(SubscriberTest, ResubscribesAfterServerRestartBeforeReportingUp) {
    RedisServer server;
    Connection::Options o = subscriberOptions(server);
    Connection& s = make(o, "s ");
    subscribe(s, "a");  // while still connecting: subscribed by the handshake
    ASSERT_TRUE(events.waitCount("s up", 1)) << events.dump();
    subscribe(s, "b");  // while up: subscribed at once
    ASSERT_TRUE(publishUntilReceived(server, "b", "before"));
    // Delivered before the kill (the server may die before flushing it otherwise).
    ASSERT_TRUE(events.waitCount("message b: before", 1)) << events.dump();
    server.restart();
    ASSERT_TRUE(events.waitCount("s down", 1)) << events.dump();
    ASSERT_TRUE(events.waitCount("s up", 2)) << events.dump();
    // At onUp both channels are subscribed again on the new server: no retry loop needed.
    EXPECT_EQ(server.command({"PUBLISH", "a", "after-a"}).integer(), 1);
    EXPECT_EQ(server.command({"PUBLISH", "b", "after-b"}).integer(), 1);
    ASSERT_TRUE(events.waitCount("message", 3)) << events.dump();
    EXPECT_EQ(events.count("message a: after-a"), 1u) << events.dump();
    EXPECT_EQ(events.count("message b: after-b"), 1u) << events.dump();
}

TEST_F(SubscriberTest, ResubscribesAfterTheLinkIsCut) {
    RedisServer server;
    TcpProxy proxy(server.port());
    Connection::Options o = subscriberOptions(server);
    o.target = redis::TcpTarget{"127.0.0.1", proxy.port()};
    Connection& s = make(o, "s ");
    subscribe(s, "room");
    ASSERT_TRUE(events.waitCount("s up", 1)) << events.dump();
    proxy.cutAll();
    ASSERT_TRUE(events.waitCount("s down", 1)) << events.dump();
    ASSERT_TRUE(events.waitCount("s up", 2)) << events.dump();
    EXPECT_EQ(server.command({"PUBLISH", "room", "again"}).integer(), 1);
    ASSERT_TRUE(events.waitCount("message room: again", 1)) << events.dump();
}

TEST_F(SubscriberTest, ProbeForcesReconnectOfAStalledSubscription) {
    RedisServer server;
    TcpProxy proxy(server.port());
    Connection& publisher = make(options(server), "p ");
    Connection::Options o = subscriberOptions(server);
    o.target = redis::TcpTarget{"127.0.0.1", proxy.port()};
    o.connectTimeout = 300ms;
    Connection& s = make(o, "s ");
    auto probe = loop.call([&] {
        return std::make_unique<redis::SubscriptionProbe>(
            loop.loop(), publisher, s,
            redis::SubscriptionProbe::Options{"test:probe", 50ms, 200ms});
    });
    ASSERT_TRUE(events.waitCount("s up", 1)) << events.dump();
    ASSERT_TRUE(events.waitCount("p up", 1)) << events.dump();
    // Healthy: probes come back.
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (loop.call([&] { return probe->probesAnswered(); }) < 2 &&
           std::chrono::steady_clock::now() < deadline)
        loop.call([] { return 0; });
    EXPECT_GE(loop.call([&] { return probe->probesAnswered(); }), 2u);
    EXPECT_EQ(events.count("s down"), 0u) << events.dump();

    proxy.pause(true);  // the subscriber's socket stays open, nothing gets through
    ASSERT_TRUE(events.waitCount("s down: subscription probe timed out", 1)) << events.dump();
    EXPECT_GE(loop.call([&] { return probe->probesTimedOut(); }), 1u);
    proxy.pause(false);
    ASSERT_TRUE(events.waitCount("s up", 2)) << events.dump();
    auto answered = loop.call([&] { return probe->probesAnswered(); });
    deadline = std::chrono::steady_clock::now() + 5s;
    while (loop.call([&] { return probe->probesAnswered(); }) <= answered &&
           std::chrono::steady_clock::now() < deadline)
        loop.call([] { return 0; });
    EXPECT_GT(loop.call([&] { return probe->probesAnswered(); }), answered);
    EXPECT_EQ(events.count("p down"), 0u) << events.dump();
    loop.call([&] {
        probe.reset();
        return 0;
    });
}

}  // namespace
}  // namespace sockchat::testing
