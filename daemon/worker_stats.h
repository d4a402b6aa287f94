#pragma once
// WorkerStats: what one worker's connections have done, for the admin `status` command and the
// metrics. Written only by the worker's own thread (relaxed atomics on counters no other writer
// touches: an uncontended add), read by the control loop at any time; totals are the sum over
// workers. Monotonic, as Prometheus counters must be.
#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

namespace sockchatd {

// The disconnect reasons that are the daemon's decision, not the client's: "dropped".
inline constexpr std::array<std::string_view, 5> kDropReasons = {
    "idle timeout", "slow consumer", "dribbling", "kick", "shutdown timeout"};

// Why TLS handshakes failed, for the metrics. Indexes below.
inline constexpr std::array<std::string_view, 5> kTlsFailureReasons = {
    "timeout", "plain text", "closed", "certificate", "protocol"};
enum TlsFailure : std::size_t {
    kTlsTimeout,      // no handshake within tls.handshake_timeout
    kTlsPlainText,    // a plain-text client on a TLS port
    kTlsClosed,       // the peer went away mid-handshake (a port scanner, a client giving up)
    kTlsCertificate,  // no client certificate, or one the client_ca does not vouch for
    kTlsProtocol,     // anything else OpenSSL refused: versions, ciphers, garbage
};

struct WorkerStats {
    std::atomic<std::uint64_t> bytesIn{0};
    std::atomic<std::uint64_t> bytesOut{0};
    std::atomic<std::uint64_t> chatMessages{0};  // messages and actions posted to rooms
    std::array<std::atomic<std::uint64_t>, kDropReasons.size()> dropped{};
    std::atomic<std::uint64_t> tlsHandshakes{0};  // completed
    std::array<std::atomic<std::uint64_t>, kTlsFailureReasons.size()> tlsFailures{};
    // Open connections by service (config::Service: echo 0, chat 1), a gauge.
    std::array<std::atomic<std::int64_t>, 2> open{};

    void add(std::atomic<std::uint64_t>& counter, std::uint64_t n) {
        counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    // A disconnect: counted under its reason if the daemon dropped the client ("kick: spam"
    // counts as "kick").
    void closed(std::string_view reason) {
        std::string_view kind = reason.substr(0, reason.find(':'));
        for (std::size_t i = 0; i < kDropReasons.size(); ++i)
            if (kind == kDropReasons[i]) return add(dropped[i], 1);
    }
};

}  // namespace sockchatd
