#pragma once
// Name resolution and TCP connection for one URL host: getaddrinfo, then every returned
// address in order (IPv6 and IPv4 as the resolver sorts them) until one connects.
#include <cstdint>
#include <string>
#include <vector>

#include "sockchat/http/deadline.h"
#include "sockchat/http/trace.h"
#include "sockchat/net/address.h"
#include "sockchat/net/fd.h"

namespace sockchat::http {

// Resolves host (a name or a numeric address) to TCP addresses. Runs getaddrinfo on a helper
// thread so that the deadline holds even when a DNS server does not answer; on expiry the
// helper is left to finish on its own. Throws FetchError couldntResolveHost (6) or
// operationTimedOut (28).
std::vector<net::SocketAddress> resolveHost(const std::string& host, std::uint16_t port,
                                            const Deadline& deadline);

struct Connected {
    net::Fd socket;  // connected, non-blocking, close-on-exec
    net::SocketAddress peer;
};

// Connects to the first address that accepts. Each attempt gets an equal share of the time
// left, so one black-holed address cannot use up the whole connect timeout. Throws FetchError
// couldntConnect (7), or operationTimedOut (28) when the last failure was the deadline.
// started is when the fetch began, for curl's "after N ms" in the messages.
Connected connectToHost(const std::string& host, std::uint16_t port,
                        const std::vector<net::SocketAddress>& addresses, const Deadline& deadline,
                        Deadline::Clock::time_point started, const Trace& trace);

}  // namespace sockchat::http
