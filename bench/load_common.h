#pragma once
// What the load generators (echo_load, chat_load) share: address parsing, the readiness probe
// and the latency histogram. Header-only, like everything they use from include/, so neither
// links libsockchat.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <string>

#include "sockchat/net/fd.h"

namespace bench {

using Clock = std::chrono::steady_clock;

// Numeric IPv4 or IPv6 only: a benchmark must not measure the resolver. False if `host` is
// neither.
inline bool resolveNumeric(const std::string& host, int port, sockaddr_storage& ss,
                           socklen_t& len) {
    ss = {};
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<std::uint16_t>(port));
        len = sizeof *v4;
        return true;
    }
    if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<std::uint16_t>(port));
        len = sizeof *v6;
        return true;
    }
    return false;
}

// Readiness probe instead of a fixed sleep: a refused connect means "not yet", so retry every few
// milliseconds until the deadline. Returns 0 once a connect succeeds, else the last errno.
inline int waitReady(const sockaddr_storage& ss, socklen_t len, int ms) {
    auto deadline = Clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
        sockchat::net::Fd fd(::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&ss), len) == 0) return 0;
        int err = errno;
        if (Clock::now() >= deadline) return err;
        ::poll(nullptr, 0, 5);
    }
}

// Log-linear latency histogram (HdrHistogram's idea): 64 linear sub-buckets per power of two,
// so any recorded value is known to within 1/64 (~1.6 %) with a fixed 4096-slot array and O(1)
// record, whatever the range, from microseconds to seconds.
class Histogram {
  public:
    void record(std::uint64_t ns) {
        ++counts_[index(ns)];
        ++total_;
        if (ns > max_) max_ = ns;
    }
    std::uint64_t total() const { return total_; }
    std::uint64_t max() const { return max_; }
    // Midpoint of the bucket that holds the q-quantile.
    std::uint64_t quantile(double q) const {
        if (total_ == 0) return 0;
        auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_ - 1)) + 1;
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < counts_.size(); ++i) {
            seen += counts_[i];
            if (seen >= rank) return (lowest(i) + lowest(i + 1)) / 2;
        }
        return max_;
    }

  private:
    static constexpr int kSubBits = 6;
    static constexpr std::uint64_t kSub = 1u << kSubBits;
    static std::size_t index(std::uint64_t v) {
        if (v < 2 * kSub) return static_cast<std::size_t>(v);
        int shift = std::bit_width(v) - 1 - kSubBits;  // >= 1
        return static_cast<std::size_t>((shift + 1) * kSub + ((v >> shift) - kSub));
    }
    static std::uint64_t lowest(std::size_t i) {
        if (i < 2 * kSub) return i;
        std::uint64_t shift = i / kSub - 1;
        return (kSub + i % kSub) << shift;
    }
    std::array<std::uint64_t, 64 * kSub> counts_{};
    std::uint64_t total_ = 0;
    std::uint64_t max_ = 0;
};

}  // namespace bench
