#pragma once
// SocketAddress: a numeric IPv4/IPv6 address and port, parsed from and printed as
// "127.0.0.1:8000" / "[::1]:8001". No DNS: listeners are configured numerically.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sockchat::net {

class SocketAddress {
  public:
    SocketAddress() = default;  // AF_UNSPEC, invalid until assigned

    // Parses "A.B.C.D:PORT" or "[IPV6]:PORT" (port 0..65535). On failure returns nullopt and,
    // if error is non-null, sets a short human reason, e.g. `missing port (use e.g.
    // 127.0.0.1:8000)` or `"example.com" is not a numeric IP address`.
    static std::optional<SocketAddress> parse(std::string_view text, std::string* error = nullptr);
    static SocketAddress fromSockaddr(const sockaddr* sa, socklen_t len);

    const sockaddr* data() const {
        return other_ ? reinterpret_cast<const sockaddr*>(other_.get()) : &inet_.sa;
    }
    socklen_t size() const { return len_; }
    int family() const { return data()->sa_family; }
    std::uint16_t port() const;
    void setPort(std::uint16_t port);

    std::string toString() const;  // "127.0.0.1:8000", "[::1]:8001"
    std::string ipString() const;  // "127.0.0.1", "::1" (IPv4-mapped IPv6 shown as IPv4)
    // The network a per-address limit counts this peer in: an IPv4 address is its own network,
    // an IPv6 address is cut to its first ipv6PrefixLength bits ("2001:db8:1:2::/64"), because
    // one IPv6 host usually holds a whole /64. 128 (or more) gives ipString().
    std::string networkString(unsigned ipv6PrefixLength) const;

    friend bool operator==(const SocketAddress& a, const SocketAddress& b);

  private:
    // IPv4 and IPv6 inline: every connection holds its peer's address, and a sockaddr_storage
    // would be 128 bytes of it. Anything longer (a Unix socket's path, from socket activation)
    // goes on the heap, shared by copies.
    union Inet {
        sockaddr_in6 in6;  // first, so that {} zeroes all of it
        sockaddr_in in4;
        sockaddr sa;
    };
    Inet inet_{};
    socklen_t len_ = 0;
    std::shared_ptr<const sockaddr_storage> other_;
};

// RFC 6761: "localhost" and "*.localhost" name loopback, whatever /etc/hosts and DNS say (a
// minimal container may have neither); curl resolves them this way too. For such a name: [::1]
// and 127.0.0.1 with `port`; for any other name: nullopt (ask the resolver).
std::optional<std::vector<SocketAddress>> localhostAddresses(std::string_view host,
                                                             std::uint16_t port);

}  // namespace sockchat::net
