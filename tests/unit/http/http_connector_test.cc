#include <gtest/gtest.h>

#include "sockchat/http/connector.h"
#include "sockchat/http/fetch_error.h"
#include "sockchat/net/socket.h"

namespace sockchat::http {
namespace {

// A loopback port that refuses connections: bound, then closed.
net::SocketAddress refusedAddress() {
    int error = 0;
    auto address = *net::SocketAddress::parse("127.0.0.1:0");
    net::Fd fd = net::listenTcp(address, 1, &error);
    EXPECT_TRUE(fd.valid());
    return net::localAddress(fd.get());
}

TEST(HttpConnector, TriesEveryAddressInOrder) {
    int error = 0;
    net::Fd listener = net::listenTcp(*net::SocketAddress::parse("127.0.0.1:0"), 8, &error);
    ASSERT_TRUE(listener.valid());
    const auto good = net::localAddress(listener.get());
    const std::vector<net::SocketAddress> addresses = {refusedAddress(), good};
    const Trace trace(false);
    Connected c =
        connectToHost("test", good.port(), addresses, Deadline::after(std::chrono::seconds(5)),
                      Deadline::Clock::now(), trace);
    EXPECT_TRUE(c.socket.valid());
    EXPECT_EQ(c.peer, good);
}

TEST(HttpConnector, AllRefusedIsCouldntConnect) {
    const std::vector<net::SocketAddress> addresses = {refusedAddress()};
    const Trace trace(false);
    try {
        connectToHost("127.0.0.1", addresses[0].port(), addresses,
                      Deadline::after(std::chrono::seconds(5)), Deadline::Clock::now(), trace);
        FAIL();
    } catch (const FetchError& e) {
        EXPECT_EQ(e.code(), FetchCode::couldntConnect);
        EXPECT_EQ(std::string(e.what()), "Failed to connect to 127.0.0.1 port " +
                                             std::to_string(addresses[0].port()) +
                                             " : Connection refused");
    }
}

TEST(HttpConnector, ResolvesNumericAndLocalNames) {
    const auto v6 = resolveHost("::1", 8080, Deadline::after(std::chrono::seconds(5)));
    ASSERT_EQ(v6.size(), 1u);
    EXPECT_EQ(v6[0].toString(), "[::1]:8080");
    const auto local = resolveHost("localhost", 80, Deadline::after(std::chrono::seconds(5)));
    EXPECT_FALSE(local.empty());
}

TEST(HttpConnector, UnknownNameIsCouldntResolve) {
    try {
        resolveHost("no-such-host.invalid", 80, Deadline::after(std::chrono::seconds(10)));
        FAIL();
    } catch (const FetchError& e) {
        EXPECT_EQ(e.code(), FetchCode::couldntResolveHost);
        EXPECT_STREQ(e.what(), "Could not resolve host: no-such-host.invalid");
    }
}

}  // namespace
}  // namespace sockchat::http
