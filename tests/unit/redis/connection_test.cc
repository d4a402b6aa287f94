// redis::Connection against a real redis-server: connecting (TCP, Unix socket, AUTH), round
// trips, and what happens when the server goes away, stalls or refuses us.
#include "sockchat/redis/connection.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "redis_harness.h"
#include "sockchat/net/fd.h"

namespace sockchat::testing {
namespace {

TEST_F(RedisTest, ConnectsOverTcpAndRoundTrips) {
    RedisServer server;
    Connection& c = make(options(server));
    ASSERT_TRUE(events.waitCount("up", 1)) << events.dump();
    EXPECT_EQ(run(c, {"SET", "k", "v"}), Reply::status("OK"));
    EXPECT_EQ(run(c, {"GET", "k"}), Reply::string("v"));
    EXPECT_TRUE(run(c, {"GET", "missing"}).isNil());
    EXPECT_EQ(events.count("down"), 0u) << events.dump();
}

bool hasIpv6Loopback() {
    net::Fd fd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_addr = in6addr_loopback;
    return fd && ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

TEST_F(RedisTest, ConnectsToAnIpv6Literal) {
    if (!hasIpv6Loopback()) GTEST_SKIP() << "no IPv6 loopback here";
    RedisServer server;
    auto o = options(server);
    o.target = redis::TcpTarget{"::1", server.port()};
    Connection& c = make(o);
    ASSERT_TRUE(events.waitCount("up", 1)) << events.dump() << server.log();
    std::string info = run(c, {"CLIENT", "INFO"}).str();
    EXPECT_NE(info.find("addr=[::1]:"), std::string::npos) << info;
}

TEST_F(RedisTest, ConnectsOverUnixSocket) {
    RedisServer server(serverWith([](auto& o) { o.unixSocket = true; }));
    Connection& c = make(options(server));
    ASSERT_TRUE(events.waitCount("up", 1)) << events.dump();
    EXPECT_EQ(run(c, {"INCR", "n"}), Reply::integer(1));
    Reply clients = server.command({"CLIENT", "LIST"});
    EXPECT_NE(clients.str().find("addr=/"), std::string::npos) << clients.str();
}

TEST_F(RedisTest, RepliesComeInCommandOrder) {
    RedisServer server;
    Connection& c = make(options(server));
    ASSERT_TRUE(events.waitCount("up", 1)) << events.dump();
    loop.call([&] {
        for (int i = 1; i <= 50; ++i)
            c.command({"INCR", "n"}, [this](Reply r) { events.add("n=" + r.describe()); });
        return 0;
    });
    ASSERT_TRUE(events.waitCount("n=", 50)) << events.dump();
    std::vector<std::string> seen;
    for (const auto& e : events.all())
        if (e.rfind("n=", 0) == 0) seen.push_back(e);
    for (int i = 1; i <= 50; ++i) EXPECT_EQ(seen[i - 1], "n=" + std::to_string(i));
}

TEST_F(RedisTest, ArgumentsAndRepliesAreBinarySafe) {
    RedisServer server;
    Connection& c = make(options(server));
    ASSERT_TRUE(events.waitCount("up", 1)) << events.dump();
    std::string key("key with\0nul", 12);
    std::string value("\0\r\n$3\r\n*1 \xff", 12);
    EXPECT_EQ(run(c, {"SET", key, value}), Reply::status("OK"));
    EXPECT_EQ(run(c, {"GET", key}), Reply::string(value));
    EXPECT_EQ(run(c, {"STRLEN", key}), Reply::integer(12));
}

TEST_F(RedisTest, SetsClientName) {
    RedisServer server;
    auto o = options(server);
    o.name = "sockchatd-test";
    Connection& c = make(o);
    ASSERT_TRUE(events.waitCount("up", 1)) << events.dump();
    EXPECT_EQ(run(c, {"CLIENT", "GETNAME"}), Reply::string("sockchatd-test"));
}

TEST_F(RedisTest, AuthenticatesWithPassword) {
    RedisServer server(serverWith([](auto& o) { o.password = "s3cret"; }));
    auto o = options(server);
    o.password = "s3cret";
    Connection& c = make(o);
    ASSERT_TRUE(events.waitCount("up", 1)) << events.dump();
    EXPECT_EQ(run(c, {"SET", "k", "v"}), Reply::status("OK"));
}

TEST_F(RedisTest, AuthenticatesAsAclUser) {
    RedisServer server(serverWith([](auto& o) {
        o.aclUser = "chat";
        o.aclPassword = "p4ss";
    }));
    auto o = options(server);
    o.username = "chat";
    o.password = "p4ss";
    Connection& c = make(o);
    ASSERT_TRUE(events.waitCount("up", 1)) << events.dump();
    EXPECT_EQ(run(c, {"ACL", "WHOAMI"}), Reply::string("chat"));
}

TEST_F(RedisTest, WrongPasswordGoesDownWithTheAuthErrorAndRetries) {
    RedisServer server(serverWith([](auto& o) { o.password = "right"; }));
    auto o = options(server);
    o.password = "wrong-password-value";
    Connection& c = make(o);
    ASSERT_TRUE(events.waitCount("down", 1)) << events.dump();
    std::string down = events.all().front();
    EXPECT_EQ(down.rfind("down: AUTH failed: WRONGPASS", 0), 0u) << down;
    EXPECT_EQ(down.find("wrong-password-value"), std::string::npos);
    EXPECT_EQ(run(c, {"PING"}), Reply::error("not connected"));
    // It keeps retrying with backoff (each retry is a new AUTH the server rejects) ...
    auto rejected = [&] {  // failed AUTHs, from the ACL log's "count" of its auth entries
        std::int64_t total = 0;
        Reply log = server.command({"ACL", "LOG"});
        for (const Reply& entry : log.elements()) {
            const auto& fields = entry.elements();
            for (std::size_t i = 0; i + 1 < fields.size(); i += 2)
                if (fields[i].str() == "count") total += fields[i + 1].integer();
        }
        return total;
    };
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (rejected() < 3 && std::chrono::steady_clock::now() < deadline)
        loop.call([] { return 0; });
    EXPECT_GE(rejected(), 3);
    // ... reporting down only once, and comes up as soon as the password is right.
    EXPECT_EQ(events.count("down"), 1u) << events.dump();
    EXPECT_EQ(events.count("up"), 0u) << events.dump();
    server.command({"CONFIG", "SET", "requirepass", "wrong-password-value"});
    ASSERT_TRUE(events.waitCount("up", 1)) << events.dump();
}

TEST_F(RedisTest, ServerAbsentAtStartComesUpWhenItStarts) {
    RedisServer server(serverWith([](auto& o) { o.start = false; }));
    Connection& c = make(options(server));
    ASSERT_TRUE(events.waitCount("down", 1)) << events.dump();
    EXPECT_NE(events.all().front().find("Connection refused"), std::string::npos) << events.dump();
    EXPECT_EQ(run(c, {"PING"}), Reply::error("not connected"));
    server.start();
    ASSERT_TRUE(events.waitCount("up", 1)) << events.dump();
    EXPECT_EQ(run(c, {"PING"}), Reply::status("PONG"));
    EXPECT_EQ(events.count("down"), 1u) << events.dump();
}

TEST_F(RedisTest, UnixSocketAbsentAtStartComesUpWhenItStarts) {
    RedisServer server(serverWith([](auto& o) {
        o.unixSocket = true;
        o.start = false;
    }));
    Connection& c = make(options(server));
    ASSERT_TRUE(events.waitCount("down", 1)) << events.dump();
    server.start();
    ASSERT_TRUE(events.waitCount("up", 1)) << events.dump();
    EXPECT_EQ(run(c, {"PING"}), Reply::status("PONG"));
}

TEST_F(RedisTest, KilledServerFailsPendingCommandsOnceThenReconnects) {
    RedisServer server;
    auto o = options(server);
    o.commandTimeout = 10s;  // the blocked commands must fail by the kill, not by the timeout
    Connection& c = make(o);
    ASSERT_TRUE(events.waitCount("up", 1)) << events.dump();
    send(c, {"BLPOP", "never", "0"}, "a ");
    send(c, {"BLPOP", "never", "0"}, "b ");
    // Both are on the server (blocked) before the kill.
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (server.command({"INFO", "clients"}).str().find("blocked_clients:1") ==
               std::string::npos &&
           std::chrono::steady_clock::now() < deadline)
        loop.call([] { return 0; });
    server.stop(true);
    ASSERT_TRUE(events.waitCount("down", 1)) << events.dump();
    ASSERT_TRUE(events.waitCount("b reply", 1)) << events.dump();
    EXPECT_EQ(events.count("a reply: (error) connection lost: "), 1u) << events.dump();
    EXPECT_EQ(events.count("b reply: (error) connection lost: "), 1u) << events.dump();
    server.start();
    ASSERT_TRUE(events.waitCount("up", 2)) << events.dump();
    EXPECT_EQ(run(c, {"PING"}), Reply::status("PONG"));
    // Exactly once: nothing more arrived for the old commands, one down for one outage.
    EXPECT_EQ(events.count("a reply"), 1u) << events.dump();
    EXPECT_EQ(events.count("b reply"), 1u) << events.dump();
    EXPECT_EQ(events.count("down"), 1u) << events.dump();
    // The failures come before onDown, and onUp only after both.
    auto all = events.all();
    auto pos = [&](const std::string& p) {
        return std::find_if(all.begin(), all.end(), [&](auto& e) { return e.rfind(p, 0) == 0; }) -
               all.begin();
    };
    EXPECT_LT(pos("b reply"), pos("down"));
    EXPECT_LT(pos("down"), std::find(all.begin() + 1, all.end(), "up") - all.begin());
}

TEST_F(RedisTest, StalledServerTimesOutPendingCommandsAndRecovers) {
    RedisServer server;
    auto o = options(server);
    o.commandTimeout = 300ms;
    o.connectTimeout = 300ms;
    Connection& c = make(o);
    ASSERT_TRUE(events.waitCount("up", 1)) << events.dump();
    server.pause();
    auto start = std::chrono::steady_clock::now();
    send(c, {"GET", "k"}, "a ");
    send(c, {"GET", "k"}, "b ");
    ASSERT_TRUE(events.waitCount("b reply", 1)) << events.dump();
    EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
    EXPECT_EQ(events.count("a reply: (error) connection lost: timeout"), 1u) << events.dump();
    EXPECT_EQ(events.count("b reply: (error) connection lost: timeout"), 1u) << events.dump();
    ASSERT_TRUE(events.waitCount("down: timeout", 1)) << events.dump();
    server.resume();
    ASSERT_TRUE(events.waitCount("up", 2)) << events.dump();
    EXPECT_TRUE(run(c, {"GET", "k"}).isNil());
    EXPECT_EQ(events.count("down"), 1u) << events.dump();
}

TEST_F(RedisTest, CommandWhileDownFailsAfterReturningNotInside) {
    RedisServer server(serverWith([](auto& o) { o.start = false; }));
    Connection& c = make(options(server));
    ASSERT_TRUE(events.waitCount("down", 1)) << events.dump();
    bool calledInside = loop.call([&] {
        auto called = std::make_shared<bool>(false);
        c.command({"PING"}, [this, called](Reply r) {
            *called = true;
            events.add("reply: " + r.describe());
        });
        return *called;
    });
    EXPECT_FALSE(calledInside);
    ASSERT_TRUE(events.waitCount("reply: (error) not connected", 1)) << events.dump();
}

TEST_F(RedisTest, ForceReconnectDropsTheLinkAndComesBack) {
    RedisServer server;
    Connection& c = make(options(server));
    ASSERT_TRUE(events.waitCount("up", 1)) << events.dump();
    loop.call([&] {
        c.forceReconnect("owner said so");
        return 0;
    });
    ASSERT_TRUE(events.waitCount("down: owner said so", 1)) << events.dump();
    ASSERT_TRUE(events.waitCount("up", 2)) << events.dump();
    EXPECT_EQ(run(c, {"PING"}), Reply::status("PONG"));
}

TEST_F(RedisTest, RejectsHostNames) {
    EXPECT_THROW(loop.call([&] {
        Connection::Options o;
        o.target = redis::TcpTarget{"localhost", 6379};
        Connection c(loop.loop(), o);
        return 0;
    }),
                 std::invalid_argument);
}

// Destruction: the owner may drop a Connection at any moment, and then hears nothing more.

std::size_t clientCount(const RedisServer& server) {
    std::string info = server.command({"INFO", "clients"}).str();
    auto at = info.find("connected_clients:");
    return std::stoul(info.substr(at + 18));
}

// Waits (bounded) until the server counts `n` clients (our inspection connection included).
bool waitClients(LoopThread& loop, const RedisServer& server, std::size_t n) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
        if (clientCount(server) == n) return true;
        loop.call([] { return 0; });
    }
    return false;
}

// A few full turns of the loop: anything posted or deferred by now has run.
void settle(LoopThread& loop) {
    for (int i = 0; i < 3; ++i) loop.call([] { return 0; });
}

TEST_F(RedisTest, DestroyWithPendingCommandsCallsNothingAndCloses) {
    RedisServer server;
    Connection& c = make(options(server));
    ASSERT_TRUE(events.waitCount("up", 1)) << events.dump();
    send(c, {"BLPOP", "never", "0"}, "a ");
    send(c, {"GET", "k"}, "b ");
    ASSERT_TRUE(waitClients(loop, server, 2));
    destroy(c);
    settle(loop);
    EXPECT_TRUE(waitClients(loop, server, 1));
    EXPECT_EQ(events.count("a reply"), 0u) << events.dump();
    EXPECT_EQ(events.count("b reply"), 0u) << events.dump();
    EXPECT_EQ(events.count("down"), 0u) << events.dump();
}

TEST_F(RedisTest, DestroyInsideItsOwnReplyCallback) {
    RedisServer server;
    Connection& c = make(options(server));
    ASSERT_TRUE(events.waitCount("up", 1)) << events.dump();
    loop.call([&] {
        c.command({"PING"}, [this, &c](Reply r) {
            events.add("first: " + r.describe());
            std::erase_if(connections(), [&](const auto& p) { return p.get() == &c; });
        });
        c.command({"PING"}, [this](Reply) { events.add("second"); });
        c.command({"BLPOP", "never", "0"}, [this](Reply) { events.add("third"); });
        return 0;
    });
    ASSERT_TRUE(events.waitCount("first: PONG", 1)) << events.dump();
    settle(loop);
    EXPECT_TRUE(waitClients(loop, server, 1));
    EXPECT_EQ(events.count("second"), 0u) << events.dump();
    EXPECT_EQ(events.count("third"), 0u) << events.dump();
}

TEST_F(RedisTest, DestroyInsideUpAndDownCallbacks) {
    RedisServer server(serverWith([](auto& o) { o.start = false; }));
    Connection::Options o = options(server);
    loop.call([&] {
        auto c = std::make_unique<Connection>(loop.loop(), o);
        Connection* raw = c.get();
        c->setDownCallback([this, raw](const std::string&) {
            events.add("down");
            std::erase_if(connections(), [&](const auto& p) { return p.get() == raw; });
        });
        c->start();
        connections().push_back(std::move(c));
        return 0;
    });
    ASSERT_TRUE(events.waitCount("down", 1));
    server.start();
    loop.call([&] {
        auto c = std::make_unique<Connection>(loop.loop(), o);
        Connection* raw = c.get();
        c->setUpCallback([this, raw] {
            events.add("up");
            std::erase_if(connections(), [&](const auto& p) { return p.get() == raw; });
        });
        c->start();
        connections().push_back(std::move(c));
        return 0;
    });
    ASSERT_TRUE(events.waitCount("up", 1));
    settle(loop);
    EXPECT_TRUE(waitClients(loop, server, 1));
    EXPECT_EQ(events.all(), (std::vector<std::string>{"down", "up"}));
}

TEST_F(RedisTest, DestroyMidConnect) {
    RedisServer server;
    server.pause();  // the TCP connect completes in the kernel; the handshake never does
    loop.call([&] {
        Connection c(loop.loop(), options(server));
        c.start();
        return 0;
    });
    Connection& c = make(options(server));
    settle(loop);
    destroy(c);
    settle(loop);
    server.resume();
    EXPECT_TRUE(waitClients(loop, server, 1));
    EXPECT_EQ(events.count("up"), 0u);
    EXPECT_EQ(events.count("down"), 0u);
}

}  // namespace
}  // namespace sockchat::testing
