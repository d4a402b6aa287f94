#include "sockchat/net/address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/un.h>

#include <cstring>

namespace sockchat::net {
namespace {

SocketAddress mustParse(std::string_view text) {
    std::string error;
    std::optional<SocketAddress> address = SocketAddress::parse(text, &error);
    EXPECT_TRUE(address) << text << ": " << error;
    return address.value_or(SocketAddress{});
}

std::string parseError(std::string_view text) {
    std::string error;
    EXPECT_FALSE(SocketAddress::parse(text, &error)) << text;
    return error;
}

TEST(SocketAddress, ParsesIpv4) {
    SocketAddress a = mustParse("127.0.0.1:8000");
    EXPECT_EQ(a.family(), AF_INET);
    EXPECT_EQ(a.port(), 8000);
    EXPECT_EQ(a.size(), sizeof(sockaddr_in));
    EXPECT_EQ(a.toString(), "127.0.0.1:8000");
    EXPECT_EQ(a.ipString(), "127.0.0.1");
    const auto* sin = reinterpret_cast<const sockaddr_in*>(a.data());
    EXPECT_EQ(ntohl(sin->sin_addr.s_addr), 0x7f000001u);
    EXPECT_EQ(ntohs(sin->sin_port), 8000);
}

TEST(SocketAddress, ParsesIpv6) {
    SocketAddress a = mustParse("[::1]:8001");
    EXPECT_EQ(a.family(), AF_INET6);
    EXPECT_EQ(a.port(), 8001);
    EXPECT_EQ(a.size(), sizeof(sockaddr_in6));
    EXPECT_EQ(a.toString(), "[::1]:8001");
    EXPECT_EQ(a.ipString(), "::1");
}

TEST(SocketAddress, ParsesWildcardsAndPortLimits) {
    EXPECT_EQ(mustParse("0.0.0.0:0").toString(), "0.0.0.0:0");
    EXPECT_EQ(mustParse("[::]:65535").toString(), "[::]:65535");
    EXPECT_EQ(mustParse("[2001:DB8:0:0::1]:80").toString(), "[2001:db8::1]:80");
}

TEST(SocketAddress, ParsesNumericScopeId) {
    SocketAddress a = mustParse("[fe80::1%7]:80");
    EXPECT_EQ(reinterpret_cast<const sockaddr_in6*>(a.data())->sin6_scope_id, 7u);
    EXPECT_EQ(a.toString(), "[fe80::1%7]:80");
    EXPECT_FALSE(a == mustParse("[fe80::1%8]:80"));
    EXPECT_FALSE(a == mustParse("[fe80::1]:80"));
    EXPECT_TRUE(a == mustParse("[fe80::1%7]:80"));
}

TEST(SocketAddress, ParsesInterfaceNameAsScope) {
    SocketAddress a = mustParse("[fe80::1%lo]:80");
    EXPECT_NE(reinterpret_cast<const sockaddr_in6*>(a.data())->sin6_scope_id, 0u);
}

TEST(SocketAddress, RejectsHostNames) {
    EXPECT_EQ(parseError("example.com:80"),
              "\"example.com\" is not a numeric IP address (use e.g. 127.0.0.1:8000 or "
              "[::1]:8000)");
    EXPECT_EQ(parseError("localhost"),
              "\"localhost\" is not a numeric IP address (use e.g. 127.0.0.1:8000 or [::1]:8000)");
    EXPECT_EQ(parseError("1.2.3:80"),
              "\"1.2.3\" is not a numeric IP address (use e.g. 127.0.0.1:8000 or [::1]:8000)");
    EXPECT_EQ(parseError("*:8000"),
              "\"*\" is not a numeric IP address (use e.g. 0.0.0.0:8000 or [::]:8000 for all "
              "interfaces)");
}

TEST(SocketAddress, RejectsMissingOrBadPort) {
    EXPECT_EQ(parseError("127.0.0.1"), "missing port (use e.g. 127.0.0.1:8000)");
    EXPECT_EQ(parseError("127.0.0.1:"), "missing port (use e.g. 127.0.0.1:8000)");
    EXPECT_EQ(parseError("[::1]"), "missing port (use e.g. [::1]:8000)");
    EXPECT_EQ(parseError("[::1]:"), "missing port (use e.g. [::1]:8000)");
    EXPECT_EQ(parseError("127.0.0.1:99999"), "port \"99999\" is out of range 0..65535");
    EXPECT_EQ(parseError("127.0.0.1:65536"), "port \"65536\" is out of range 0..65535");
    EXPECT_EQ(parseError("127.0.0.1:123456789012345678901234"),
              "port \"123456789012345678901234\" is out of range 0..65535");
    EXPECT_EQ(parseError("127.0.0.1:http"), "port \"http\" is not a number");
    EXPECT_EQ(parseError("127.0.0.1:-1"), "port \"-1\" is not a number");
    EXPECT_EQ(parseError("127.0.0.1:+80"), "port \"+80\" is not a number");
    EXPECT_EQ(parseError("127.0.0.1: 80"), "port \" 80\" is not a number");
}

TEST(SocketAddress, RejectsMalformedIpv6) {
    EXPECT_EQ(parseError("[::1:8000"),
              "missing \"]\" after the IPv6 address (use e.g. [::1]:8000)");
    EXPECT_EQ(parseError("::1:8000"), "an IPv6 address must be in brackets (use e.g. [::1]:8000)");
    EXPECT_EQ(parseError("::1"), "an IPv6 address must be in brackets (use e.g. [::1]:8000)");
    EXPECT_EQ(parseError("[::1]8000"), "unexpected \"8000\" after \"]\" (use e.g. [::1]:8000)");
    EXPECT_EQ(parseError("[]:80"), "\"\" is not a numeric IPv6 address (use e.g. [::1]:8000)");
    EXPECT_EQ(parseError("[127.0.0.1]:80"),
              "\"127.0.0.1\" is not a numeric IPv6 address (use e.g. [::1]:8000)");
    EXPECT_EQ(parseError("[fe80::1%]:80"), "empty IPv6 scope after \"%\"");
    EXPECT_EQ(parseError("[fe80::1%nosuchif0]:80"), "unknown network interface \"nosuchif0\"");
}

TEST(SocketAddress, RejectsEmptyAndHostless) {
    EXPECT_EQ(parseError(""), "empty address (use e.g. 127.0.0.1:8000 or [::1]:8000)");
    EXPECT_EQ(parseError(":8000"),
              "missing IP address before \":8000\" (use e.g. 127.0.0.1:8000 or [::1]:8000)");
}

TEST(SocketAddress, ParseWithoutErrorPointerStillFails) {
    EXPECT_FALSE(SocketAddress::parse("nope"));
    EXPECT_TRUE(SocketAddress::parse("10.0.0.1:1"));
}

TEST(SocketAddress, DefaultIsUnspecified) {
    SocketAddress a;
    EXPECT_EQ(a.family(), AF_UNSPEC);
    EXPECT_EQ(a.size(), 0u);
    EXPECT_EQ(a.port(), 0);
    EXPECT_EQ(a.ipString(), "");
    EXPECT_EQ(a.toString(), "(none)");
    EXPECT_TRUE(a == SocketAddress{});
    EXPECT_FALSE(a == mustParse("0.0.0.0:0"));
}

TEST(SocketAddress, SetPort) {
    SocketAddress v4 = mustParse("127.0.0.1:0");
    v4.setPort(4242);
    EXPECT_EQ(v4.toString(), "127.0.0.1:4242");
    SocketAddress v6 = mustParse("[::1]:0");
    v6.setPort(65535);
    EXPECT_EQ(v6.port(), 65535);
    EXPECT_EQ(v6.toString(), "[::1]:65535");
    SocketAddress none;
    none.setPort(1);
    EXPECT_EQ(none.port(), 0);
}

TEST(SocketAddress, EqualityComparesFamilyAddressAndPort) {
    EXPECT_TRUE(mustParse("127.0.0.1:8000") == mustParse("127.0.0.1:8000"));
    EXPECT_FALSE(mustParse("127.0.0.1:8000") == mustParse("127.0.0.1:8001"));
    EXPECT_FALSE(mustParse("127.0.0.1:8000") == mustParse("127.0.0.2:8000"));
    EXPECT_TRUE(mustParse("[::1]:8000") == mustParse("[0:0::1]:8000"));
    EXPECT_FALSE(mustParse("[::1]:8000") == mustParse("[::2]:8000"));
    EXPECT_FALSE(mustParse("[::ffff:127.0.0.1]:8000") == mustParse("127.0.0.1:8000"));
}

TEST(SocketAddress, EqualityIgnoresPaddingFromTheKernel) {
    sockaddr_in sin{};
    std::memset(&sin, 0xab, sizeof sin);  // sin_zero garbage must not matter
    sin.sin_family = AF_INET;
    sin.sin_port = htons(8000);
    sin.sin_addr.s_addr = htonl(0x7f000001);
    SocketAddress a = SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&sin), sizeof sin);
    EXPECT_TRUE(a == mustParse("127.0.0.1:8000"));
}

TEST(SocketAddress, Ipv4MappedIpv6ShowsAsIpv4) {
    SocketAddress a = mustParse("[::ffff:192.0.2.7]:5555");
    EXPECT_EQ(a.ipString(), "192.0.2.7");
    EXPECT_EQ(a.toString(), "[::ffff:192.0.2.7]:5555");
    EXPECT_EQ(a.port(), 5555);
}

TEST(SocketAddress, FromSockaddrRoundTrips) {
    SocketAddress original = mustParse("[2001:db8::42]:9000");
    SocketAddress copy = SocketAddress::fromSockaddr(original.data(), original.size());
    EXPECT_TRUE(copy == original);
    EXPECT_EQ(copy.toString(), "[2001:db8::42]:9000");
    EXPECT_EQ(copy.size(), sizeof(sockaddr_in6));
}

TEST(SocketAddress, FromSockaddrRejectsNullAndOversized) {
    EXPECT_EQ(SocketAddress::fromSockaddr(nullptr, 16).family(), AF_UNSPEC);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    EXPECT_EQ(SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&sin), 4096).family(),
              AF_UNSPEC);
}

TEST(SocketAddress, UnixSocketPeerPrints) {
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    std::strcpy(un.sun_path, "/run/sockchatd/admin.sock");
    socklen_t len = offsetof(sockaddr_un, sun_path) + std::strlen(un.sun_path) + 1;
    SocketAddress a = SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&un), len);
    EXPECT_EQ(a.toString(), "unix:/run/sockchatd/admin.sock");
    EXPECT_EQ(a.ipString(), "");
    EXPECT_EQ(a.port(), 0);
    sockaddr_un unnamed{};
    unnamed.sun_family = AF_UNIX;
    SocketAddress b =
        SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&unnamed), sizeof(sa_family_t));
    EXPECT_EQ(b.toString(), "unix:(unnamed)");
}

}  // namespace
}  // namespace sockchat::net

TEST(LocalhostAddresses, LocalhostNamesAreLoopbackWithoutTheResolver) {
    auto both = sockchat::net::localhostAddresses("LocalHost", 8001);
    ASSERT_TRUE(both);
    ASSERT_EQ(both->size(), 2u);
    EXPECT_EQ((*both)[0].toString(), "[::1]:8001");
    EXPECT_EQ((*both)[1].toString(), "127.0.0.1:8001");
    EXPECT_TRUE(sockchat::net::localhostAddresses("app.localhost", 1));
    EXPECT_FALSE(sockchat::net::localhostAddresses("localhost.example", 1));
    EXPECT_FALSE(sockchat::net::localhostAddresses("example.org", 1));
}

// Per-address limits count an IPv6 peer by its network: one host usually holds a whole /64.
TEST(SocketAddress, NetworkStringCutsIpv6ToThePrefixAndLeavesIpv4Alone) {
    using sockchat::net::SocketAddress;
    auto v6 = SocketAddress::parse("[2001:db8:1:2:aaaa:bbbb:cccc:dddd]:80");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->networkString(64), "2001:db8:1:2::/64");
    EXPECT_EQ(v6->networkString(48), "2001:db8:1::/48");
    EXPECT_EQ(v6->networkString(60), "2001:db8:1::/60");
    EXPECT_EQ(v6->networkString(63), "2001:db8:1:2::/63");
    EXPECT_EQ(v6->networkString(65), "2001:db8:1:2:8000::/65");
    EXPECT_EQ(v6->networkString(128), "2001:db8:1:2:aaaa:bbbb:cccc:dddd");
    EXPECT_EQ(v6->networkString(0), "::/0");
    auto other = SocketAddress::parse("[2001:db8:1:2::1]:80");
    EXPECT_EQ(other->networkString(64), v6->networkString(64));
    EXPECT_NE(other->networkString(128), v6->networkString(128));
    auto v4 = SocketAddress::parse("192.0.2.7:80");
    EXPECT_EQ(v4->networkString(64), "192.0.2.7");
    auto mapped = SocketAddress::parse("[::ffff:192.0.2.7]:80");
    EXPECT_EQ(mapped->networkString(64), "192.0.2.7");
}
