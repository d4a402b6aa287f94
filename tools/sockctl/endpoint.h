#pragma once
// Endpoint: where to connect, as the user wrote it ("localhost:8001", "[::1]", ":9000"). It is
// kept as host text plus port rather than a SocketAddress, because names are resolved (and may
// resolve to several addresses) only when connecting.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sockchat/net/address.h"

namespace sockctl {

struct Endpoint {
    std::string host;  // name or numeric address, IPv6 without brackets
    std::uint16_t port = 0;
    // Speak TLS: --tls, or a listener found in the config with a `tls:` block. Kept with the
    // address so that a reconnect speaks what the first connection spoke.
    bool tls = false;

    // "127.0.0.1:8001", "[::1]:8001", "localhost:8001": how messages name the endpoint.
    std::string toString() const;
};

// Parses HOST[:PORT]: "host", "host:port", "[v6]", "[v6]:port", ":port", or a bare IPv6 address
// such as "::1" (two or more colons without brackets are never a port). What the text leaves
// out stays empty (host "") or 0 (port), for the caller to fill in from the config. On failure
// returns nullopt with a short reason in *error.
std::optional<Endpoint> parseEndpoint(std::string_view text, std::string* error);

// Resolves the endpoint with getaddrinfo (numeric addresses need no DNS). On failure returns an
// empty vector and the resolver's message in *error.
std::vector<sockchat::net::SocketAddress> resolveEndpoint(const Endpoint& endpoint,
                                                          std::string* error);

}  // namespace sockctl
