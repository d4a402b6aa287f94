#pragma once
// Endpoint: where a Redis server (or a Sentinel) listens, parsed from the config's
// "127.0.0.1:6379", "[::1]:6379", "redis.internal:6379" or "unix:/run/redis/redis.sock".
// Unlike listener addresses (net::SocketAddress, numeric only), a TCP host may be a host name: it
// is kept as written and resolved when connecting, so a Redis that moves to another address is
// found again after a reconnect. Parsing never touches the network.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sockchat::redis {

struct Endpoint {
    enum class Kind { tcp, unix_socket };  // not "unix": GNU mode predefines it as a macro

    Kind kind = Kind::tcp;
    std::string host;        // tcp: IPv4 or IPv6 literal (no brackets), or a host name
    std::uint16_t port = 0;  // tcp: 1..65535
    std::string path;        // unix_socket: an absolute path of at most 107 bytes

    // For logs and errors: "127.0.0.1:6379", "[::1]:6379", "redis.internal:6379",
    // "unix:/run/redis/redis.sock". The result parses back to the same Endpoint.
    std::string describe() const;

    friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// Parses "HOST:PORT" (HOST an IPv4 literal, a host name, or "[IPV6]"; PORT 1..65535) or
// "unix:/ABSOLUTE/PATH". On failure returns nullopt and, if error is non-null, sets a short
// reason, e.g. `missing port (use e.g. 127.0.0.1:6379)`.
std::optional<Endpoint> parseEndpoint(std::string_view text, std::string* error = nullptr);

}  // namespace sockchat::redis
