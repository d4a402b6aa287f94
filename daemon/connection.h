#pragma once
// Connection: one accepted TCP socket on the worker that accepted it. Owns the fd, the input
// and output buffers, the counters and the idle timer; hands bytes to its Service. On a TLS
// listener it also owns the TLS session: the handshake runs before the service hears of the
// connection, and the service reads and writes plain text either way.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "connection_limiter.h"
#include "idle_tracker.h"
#include "sockchat/log/logger.h"
#include "sockchat/net/address.h"
#include "sockchat/net/buffer.h"
#include "sockchat/net/event_loop.h"
#include "sockchat/net/fd.h"
#include "sockchat/tls/server_context.h"
#include "sockchat/tls/stream.h"
#include "worker_stats.h"

namespace sockchatd {

class Service;

struct ConnectionLimits {
    std::size_t output_buffer_bytes;
    std::chrono::milliseconds idle_timeout;  // zero: none
};

class Connection;

// What every connection on a worker shares, owned by the worker and outliving its connections:
// one reference per connection instead of a reference, limit and callback each (80 bytes).
struct ConnectionHost {
    sockchat::net::EventLoop& loop;
    // Keeps the connections in order of their last activity; idle_timeout counts from there.
    IdleTracker& idle;
    sockchat::log::Logger& logger;
    WorkerStats& stats;
    // Runs when a connection closes, inside one of its own callbacks.
    std::function<void(Connection&)> onClosed;
    // Changed by a reload: then every connection's onLimitsChanged() runs.
    ConnectionLimits limits;
};

// An IdleTracker::Entry: its worker's IdleTracker keeps it in order of activity.
class Connection : public IdleTracker::Entry {
  public:
    using Clock = std::chrono::steady_clock;

    // `serial`: the daemon-wide connection number, from 1 (the id is "c<serial>").
    // `limiterPrefixLength`: the ipv6_prefix_length the limiter counted the peer by.
    Connection(ConnectionHost& host, sockchat::net::Fd fd, std::uint64_t serial,
               sockchat::net::SocketAddress peer, std::uint8_t limiterPrefixLength,
               std::shared_ptr<const std::string> listener, Service& service,
               const sockchat::tls::ServerContext* tls = nullptr);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    // Starts the service at once, or the TLS handshake first on a TLS listener.
    void start();

    // Queues bytes for the peer: written at once when nothing is pending, else buffered until
    // the socket is writable. Applies the output cap (pause or drop, as the service says).
    void send(std::string_view bytes);
    // Closes now (pending output is discarded) and logs the reason.
    void close(std::string_view reason);
    // Graceful shutdown: stop reading, flush what is pending, send FIN, then close once the
    // peer has acknowledged everything (or sent its own FIN), discarding its late input, so an
    // unread byte cannot turn our close into an RST that destroys output still in flight.
    // `reason` is the disconnect event's reason: "shutdown" for the daemon's, "quit: ..." for
    // a chat client's own.
    // `bounded`: close for good after kGracefulCloseLimit even if the peer never reads (an idle
    // or quitting client); the daemon's own shutdown is bounded by shutdown_timeout instead.
    void beginGracefulClose(std::string reason = "shutdown", bool bounded = false);
    // Stops (true) or resumes reading the peer: the service has enough of its input queued.
    void holdInput(bool hold);
    // The peer did something that keeps it from being idle (Service::reportsActivity).
    void noteActive() { host_.idle.touch(*this); }
    // The IdleTracker found it idle for idle_timeout (and no longer tracks it).
    void onIdleDue();
    // The host's limits changed (a reload).
    void onLimitsChanged();

    // "c7": what logs, the admin listing and kick know this connection by.
    std::string id() const;
    const sockchat::net::SocketAddress& peer() const { return peer_; }
    const std::string& listener() const { return *listener_; }
    // What the connection limiter counts this peer under (see ConnectionLimiter::keyFor), the
    // same for its whole life even if a reload changes ipv6_prefix_length.
    std::string limiterKey() const {
        return ConnectionLimiter::keyFor(peer_, limiterPrefixLength_);
    }
    bool closed() const { return !fd_.valid(); }
    std::size_t pendingOutput() const { return output_.size(); }
    std::uint64_t bytesIn() const { return bytesIn_; }
    std::uint64_t bytesOut() const { return bytesOut_; }
    Clock::time_point started() const { return started_; }
    const Service& service() const { return service_; }
    bool encrypted() const { return tls_ != nullptr; }
    sockchat::log::Logger& logger() { return host_.logger; }

  private:
    // After the TLS handshake (at once for plain text): the service's onAccept, the connect
    // event, onOpen.
    void startService();
    void continueHandshake();
    void onHandshakeEvents(std::uint32_t events);
    // A client that speaks plain text to a TLS port: told so in plain text, then closed.
    void refusePlainText();
    void failHandshake(const std::string& reason, std::size_t kind);
    void readTls();
    // Bytes the peer sent, decrypted or not: counted and given to the service.
    void deliver(std::string_view bytes);
    void handleEndOfInput();
    // TLS holds decrypted input that epoll cannot see: read it at the end of this iteration.
    void readBufferedTlsInput();
    // What the kernel has been given for this peer (ciphertext on TLS): compared with SIOCOUTQ.
    std::uint64_t wireBytesOut() const;
    void onEvents(std::uint32_t events);
    void handleReadable();
    void handleWritable();
    void handleLingerRead();
    void closeIfOutputAcknowledged();
    bool flushOutput();  // false if the connection was closed
    void updateInterest();
    void finishGracefulClose();
    void dropSlowConsumer();

    ConnectionHost& host_;
    sockchat::net::Fd fd_;
    // Here rather than among the flags below: it fills the padding after fd_ (an int), and
    // without it the flags fit in 16 bytes instead of 24.
    std::uint32_t interest_ = 0;  // the epoll events asked for
    // The id and the limiter key are derived on demand: stored, each was a 32-byte string.
    std::uint64_t serial_;
    sockchat::net::SocketAddress peer_;
    std::shared_ptr<const std::string> listener_;  // its listener's name, shared with it
    Service& service_;
    // Activity, for the host's IdleTracker (the Entry base), is what the peer sends (every byte,
    // or what the service reports: a chat client's complete lines, so that one dribbling bytes
    // without a newline stays idle) and our output it acknowledged (a reader of a busy room is
    // not idle; one whose output piles up unacknowledged is).

    sockchat::net::Buffer output_;
    std::uint64_t bytesIn_ = 0;
    std::uint64_t bytesOut_ = 0;
    std::chrono::steady_clock::time_point started_;
    std::uint64_t acknowledgedOut_ = 0;  // bytesOut_ minus SIOCOUTQ at the last idle check
    sockchat::net::EventLoop::DeferredId flushDeferred_ = 0;

    // A graceful close underway (or a plain-text client on a TLS port being told so): held only
    // then, since most connections never get there and inline it cost 48 bytes each.
    struct GracefulClose {
        std::string reason;                                 // the disconnect event's
        sockchat::net::EventLoop::TimerId limitTimer = 0;   // kGracefulCloseLimit, if bounded
        sockchat::net::EventLoop::TimerId lingerTimer = 0;  // polls until output is acknowledged
    };
    GracefulClose& startGracefulClose(std::string reason);
    void cancelGracefulTimers();
    std::unique_ptr<GracefulClose> graceful_;

    // TLS (absent on a plain listener): the stream, and the timer and deferred read only TLS
    // uses. Only TLS connections pay for it (the stream's 96 bytes inline would be a tenth of an
    // idle connection); a plain one pays 8 bytes for all of it, not 32.
    struct Tls {
        sockchat::tls::Stream stream;
        std::chrono::milliseconds handshakeTimeout;
        sockchat::net::EventLoop::TimerId handshakeTimer = 0;
        sockchat::net::EventLoop::DeferredId bufferedReadDeferred = 0;
    };
    // Cancels the handshake timer and the deferred read, if any.
    void cancelTlsCallbacks();
    std::unique_ptr<Tls> tls_;
    // Flags together: scattered between 8-byte fields, each cost up to 8 bytes of padding.
    bool readPaused_ = false;           // output full (backpressure)
    bool inputHeld_ = false;            // the service has queued enough of this peer's input
    bool lastSentNewline_ = true;       // the peer has seen whole lines only
    bool peerClosed_ = false;           // read EOF: answer what we have, then close
    bool draining_ = false;             // graceful shutdown: no more reading
    bool lingering_ = false;            // FIN sent, discarding input until the peer's FIN
    bool serviceStarted_ = false;       // the service knows this connection (after the handshake)
    bool firstBytePeeked_ = false;      // the plain-text check on the first byte is done
    bool tlsReadWantsWrite_ = false;    // SSL_read must write first (a key update): wait EPOLLOUT
    bool tlsWriteWantsRead_ = false;    // SSL_write must read first: wait for EPOLLIN
    std::uint8_t limiterPrefixLength_;  // see limiterKey()
};

}  // namespace sockchatd
