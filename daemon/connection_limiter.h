#pragma once
// ConnectionLimiter: the daemon-wide max_connections / max_connections_per_ip counts. Shared by
// all workers (thread-safe); a slot is taken at accept and given back when the connection ends.
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "sockchat/net/address.h"

namespace sockchatd {

class ConnectionLimiter {
  public:
    enum class Verdict { accepted, tooManyTotal, tooManyFromAddress };

    struct Limits {
        std::size_t maxTotal;
        std::size_t maxPerAddress;
        unsigned ipv6PrefixLength;  // IPv6 peers count per network of this size
    };
    explicit ConnectionLimiter(Limits limits) : limits_(limits) {}

    // The IPv6 prefix length peers are counted by now, at most 128 (more counts the same).
    std::uint8_t ipv6PrefixLength() const;
    // The key a peer is counted under (its IPv4 address or IPv6 network). A connection keeps
    // the prefix length it was counted by, to give release() the same key even if a reload
    // changed the setting meanwhile.
    static std::string keyFor(const sockchat::net::SocketAddress& peer, unsigned ipv6PrefixLength);
    Verdict tryAcquire(const std::string& key);
    void release(const std::string& key);
    // New limits apply to new connections; existing ones are never cut by a lower limit.
    void setLimits(Limits limits);
    std::size_t total() const;

  private:
    mutable std::mutex mutex_;
    Limits limits_;
    std::size_t total_ = 0;
    std::unordered_map<std::string, std::size_t> perAddress_;
};

}  // namespace sockchatd
