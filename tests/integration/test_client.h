#pragma once
// TestClient: a blocking TCP client with deadlines on every read, for black-box tests.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "sockchat/net/fd.h"

namespace sockchat::testing {

class TestClient {
  public:
    // Connects to host:port, optionally from a chosen local IP (e.g. 127.0.0.2 to test
    // per-address limits; of the host's family). Throws on failure.
    explicit TestClient(std::uint16_t port, const std::string& host = "127.0.0.1",
                        const std::string& sourceIp = "");

    int fd() const { return fd_.get(); }
    void send(std::string_view bytes);
    // Reads until n bytes arrived, EOF, or the deadline; returns what arrived.
    [[nodiscard]] std::string recvExactly(
        std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // Reads what arrives in one read (waiting up to timeout).
    [[nodiscard]] std::string recvSome(
        std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // True if the peer closed (EOF or reset) within timeout; input read meanwhile is appended to
    // *rest when given.
    [[nodiscard]] bool waitClosed(std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                  std::string* rest = nullptr);
    void shutdownWrite();

  private:
    sockchat::net::Fd fd_;
};

// True if a connect to 127.0.0.1:port is refused now (nothing listens there).
[[nodiscard]] bool connectionRefused(std::uint16_t port);

}  // namespace sockchat::testing
