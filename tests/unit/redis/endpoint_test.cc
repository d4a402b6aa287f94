#include <gtest/gtest.h>

#include "sockchat/redis/endpoint.h"

namespace sockchat::redis {
namespace {

Endpoint tcp(std::string host, std::uint16_t port) {
    Endpoint e;
    e.host = std::move(host);
    e.port = port;
    return e;
}

Endpoint unixSocket(std::string path) {
    Endpoint e;
    e.kind = Endpoint::Kind::unix_socket;
    e.path = std::move(path);
    return e;
}

// The reason parseEndpoint gives for text it must reject.
std::string reason(std::string_view text) {
    std::string error;
    std::optional<Endpoint> endpoint = parseEndpoint(text, &error);
    EXPECT_FALSE(endpoint) << text;
    return error;
}

TEST(Endpoint, ParsesTcpAndUnix) {
    EXPECT_EQ(parseEndpoint("127.0.0.1:6379"), tcp("127.0.0.1", 6379));
    EXPECT_EQ(parseEndpoint("[::1]:6379"), tcp("::1", 6379));
    EXPECT_EQ(parseEndpoint("[fe80::1%eth0]:1").has_value(), false);
    EXPECT_EQ(parseEndpoint("redis.internal:6379"), tcp("redis.internal", 6379));
    EXPECT_EQ(parseEndpoint("localhost:65535"), tcp("localhost", 65535));
    EXPECT_EQ(parseEndpoint("redis-1.example.com.:1"), tcp("redis-1.example.com.", 1));
    EXPECT_EQ(parseEndpoint("unix:/run/redis/redis.sock"), unixSocket("/run/redis/redis.sock"));
}

TEST(Endpoint, DescribeParsesBack) {
    for (std::string_view text : {"127.0.0.1:6379", "[::1]:6379", "[2001:db8::7]:26379",
                                  "redis.internal:6379", "unix:/run/redis/redis.sock"}) {
        std::optional<Endpoint> endpoint = parseEndpoint(text);
        ASSERT_TRUE(endpoint) << text;
        EXPECT_EQ(endpoint->describe(), text);
        EXPECT_EQ(parseEndpoint(endpoint->describe()), endpoint);
    }
}

TEST(Endpoint, RejectsMissingOrBadPorts) {
    EXPECT_EQ(reason("127.0.0.1"), "missing port (use e.g. 127.0.0.1:6379)");
    EXPECT_EQ(reason("[::1]"), "missing port (use e.g. 127.0.0.1:6379)");
    EXPECT_EQ(reason("redis:"), "port \"\" is not a number");
    EXPECT_EQ(reason("redis:abc"), "port \"abc\" is not a number");
    EXPECT_EQ(reason("redis:-1"), "port \"-1\" is not a number");
    EXPECT_EQ(reason("redis:0"), "port \"0\" is out of range 1..65535");
    EXPECT_EQ(reason("redis:65536"), "port \"65536\" is out of range 1..65535");
    EXPECT_EQ(reason("redis:99999999999999999999"),
              "port \"99999999999999999999\" is out of range 1..65535");
}

TEST(Endpoint, RejectsBadHosts) {
    EXPECT_EQ(reason(""),
              "empty address (use e.g. 127.0.0.1:6379, [::1]:6379 or unix:/run/redis/redis.sock)");
    EXPECT_EQ(reason(":6379"),
              "missing host (use e.g. 127.0.0.1:6379, [::1]:6379 or unix:/run/redis/redis.sock)");
    EXPECT_EQ(reason("::1:6379"), "put an IPv6 address in brackets (use e.g. [::1]:6379)");
    EXPECT_EQ(reason("[::1:6379"), "missing \"]\" after the IPv6 address (use e.g. [::1]:6379)");
    EXPECT_EQ(reason("[::1]x:6379"),
              "unexpected \"x:6379\" after the IPv6 address (use e.g. [::1]:6379)");
    EXPECT_EQ(reason("[127.0.0.1]:6379"), "\"127.0.0.1\" is not an IPv6 address");
    EXPECT_EQ(reason("256.0.0.1:6379"), "\"256.0.0.1\" is not an IPv4 address");
    EXPECT_EQ(reason("10.1:6379"), "\"10.1\" is not an IPv4 address");
    EXPECT_EQ(reason("red is:6379"), "\"red is\" is neither an IP address nor a host name");
    EXPECT_EQ(reason("-redis:6379"), "\"-redis\" is neither an IP address nor a host name");
    EXPECT_EQ(reason("a..b:6379"), "\"a..b\" is neither an IP address nor a host name");
    EXPECT_EQ(reason(std::string(64, 'a') + ":6379"),
              "\"" + std::string(64, 'a') + "\" is neither an IP address nor a host name");
    EXPECT_TRUE(parseEndpoint(std::string(63, 'a') + ":6379"));
}

TEST(Endpoint, RejectsBadUnixPaths) {
    EXPECT_EQ(reason("unix:redis.sock"),
              "a Unix socket needs an absolute path (use e.g. unix:/run/redis/redis.sock)");
    EXPECT_EQ(reason("unix:"),
              "a Unix socket needs an absolute path (use e.g. unix:/run/redis/redis.sock)");
    EXPECT_EQ(reason("/run/redis/redis.sock"),
              "write a Unix socket as \"unix:/run/redis/redis.sock\"");
    EXPECT_EQ(reason("unix:/" + std::string(107, 'a')),
              "Unix socket path must be ≤ 107 bytes (it is 108)");
    EXPECT_TRUE(parseEndpoint("unix:/" + std::string(106, 'a')));
    EXPECT_EQ(reason(std::string_view("unix:/a\0b", 9)), "Unix socket path contains a NUL byte");
}

TEST(Endpoint, ErrorIsOptional) {
    EXPECT_FALSE(parseEndpoint("nope"));
}

}  // namespace
}  // namespace sockchat::redis
