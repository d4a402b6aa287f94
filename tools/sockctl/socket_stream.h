#pragma once
// SocketStream: a connected non-blocking socket, plain or TLS, read and written the same way.
// Every call returns at once and says what to wait for (tls::Io), so the chat poll loop and the
// echo command have one code path for both; only this class knows which one it has.
#include <cstddef>
#include <optional>
#include <string>

#include "sockchat/net/fd.h"
#include "sockchat/tls/stream.h"

namespace sockctl {

using sockchat::tls::Io;

class SocketStream {
  public:
    // Plain TCP. Makes the socket non-blocking.
    explicit SocketStream(sockchat::net::Fd fd);
    // TLS: `tls` runs over `fd` (its handshake done). Makes the socket non-blocking.
    SocketStream(sockchat::net::Fd fd, sockchat::tls::Stream tls);

    int fd() const { return fd_.get(); }
    // The TLS session, for its version and cipher; nullptr on a plain connection.
    const sockchat::tls::Stream* tls() const { return tls_ ? &*tls_ : nullptr; }

    // As tls::Stream: ok (*n bytes), wantRead / wantWrite (poll for that, then call again),
    // closed (the peer ended the stream), failed (error() says why).
    Io read(char* buffer, std::size_t size, std::size_t* n);
    Io write(const char* data, std::size_t size, std::size_t* n);
    // Bytes a read returns without the socket becoming readable (TLS decrypts whole records):
    // a poll loop must read again instead of waiting.
    bool hasBufferedInput() const;
    // After failed: "Connection reset by peer", "decryption failed or bad record mac".
    const std::string& error() const { return error_; }

    // Ends our direction and keeps reading possible: TLS close_notify (best effort), then the
    // TCP half-close the server sees as end of input.
    void shutdownWrite();

  private:
    // Declared first so the TLS session, which uses the fd, goes before the fd closes.
    sockchat::net::Fd fd_;
    std::optional<sockchat::tls::Stream> tls_;
    std::string error_;
};

// The poll events that Io asks for.
short pollEventsFor(Io io);

}  // namespace sockctl
