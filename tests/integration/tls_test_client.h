#pragma once
// TlsTestClient: a TLS client for the daemon's tests, on the library's own tls::Stream and
// ClientContext (the code sockctl and sockfetch use), blocking with deadlines: connect,
// handshake, lines in and out, the server certificate's serial.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "sockchat/net/fd.h"
#include "sockchat/tls/client_context.h"
#include "sockchat/tls/stream.h"

namespace sockchat::testing {

class TlsTestClient {
  public:
    struct Options {
        std::string caFile;  // "" = no verification
        std::string certFile, keyFile;
        std::string host = "127.0.0.1";
        int maxVersion = 0;  // e.g. TLS1_2_VERSION; 0 = OpenSSL's highest
    };

    // Connects and starts the handshake; handshake() finishes it.
    TlsTestClient(std::uint16_t port, Options options);
    // Runs the handshake to its end (bounded); false with error() on failure.
    bool handshake(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    const std::string& error() const { return error_; }

    void send(const std::string& bytes);
    // The next line without "\n", or nullopt when the server closed or the time ran out.
    std::optional<std::string> readLine(
        std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // Reads up to `n` bytes, or what came before the server closed / the time ran out.
    std::string read(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // True when the server closes (close_notify or EOF) within the timeout; input is discarded.
    bool waitClosed(std::chrono::milliseconds timeout = std::chrono::seconds(10));

    std::string serverSerial() const;  // hex, as the daemon's log writes it
    std::string version() const { return stream_->version(); }
    std::string cipher() const { return stream_->cipher(); }

  private:
    // Waits for what the last call wanted; false at the deadline.
    bool wait(sockchat::tls::Io want, std::chrono::steady_clock::time_point deadline);
    // One read into input_; false when closed, failed or out of time.
    bool readMore(std::chrono::steady_clock::time_point deadline);

    sockchat::tls::ClientContext context_;
    sockchat::net::Fd fd_;
    std::optional<sockchat::tls::Stream> stream_;
    std::string input_;
    std::string error_;
};

}  // namespace sockchat::testing
