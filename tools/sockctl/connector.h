#pragma once
// Connector: opens a TCP connection to an Endpoint without blocking the caller's poll loop, so
// the chat client keeps editing and redrawing while it reconnects. Each address the name
// resolves to is tried in turn, each with its own bounded time.
#include <chrono>
#include <string>
#include <vector>

#include "endpoint.h"
#include "sockchat/net/fd.h"

namespace sockctl {

class Connector {
  public:
    using Clock = std::chrono::steady_clock;
    enum class Status { idle, inProgress, connected, failed };

    explicit Connector(Endpoint endpoint,
                       std::chrono::milliseconds perAddressTimeout = std::chrono::seconds(5));

    // Resolves the endpoint and starts a non-blocking connect to the first address.
    void start();
    Status status() const { return status_; }

    // While inProgress: poll fd() for POLLOUT, and call step() when it is writable or when
    // deadline() has passed.
    int fd() const { return fd_.get(); }
    Clock::time_point deadline() const { return deadline_; }
    void step();

    // The connected socket (blocking, close-on-exec); status() goes back to idle.
    sockchat::net::Fd take();
    // Why the last attempt failed, e.g. "Connection refused".
    const std::string& error() const { return error_; }
    // True if the failure was resolving the name rather than connecting.
    bool resolveFailed() const { return resolveFailed_; }

  private:
    void tryFrom(std::size_t index);

    Endpoint endpoint_;
    std::chrono::milliseconds perAddressTimeout_;
    std::vector<sockchat::net::SocketAddress> addresses_;
    std::size_t index_ = 0;
    sockchat::net::Fd fd_;
    Clock::time_point deadline_{};
    Status status_ = Status::idle;
    std::string error_;
    bool resolveFailed_ = false;
};

// Connects, waiting at most the connector's per-address timeouts. Invalid Fd on failure, with
// the one-line message for the user in *message.
sockchat::net::Fd connectNow(const Endpoint& endpoint, std::string* message);

// "cannot connect to 127.0.0.1:8001: Connection refused — is sockchatd running? (systemctl
// status sockchatd)": the exact wording the chat and echo commands print (after "sockctl: ").
std::string cannotConnectMessage(const Endpoint& endpoint, const Connector& failed);

}  // namespace sockctl
