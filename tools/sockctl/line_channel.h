#pragma once
// LineChannel: a connected socket (plain or TLS) spoken to in lines, for a poll loop. Input is
// buffered until a '\n'; output is buffered and written as the socket accepts it, so a slow
// server never blocks the terminal.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "socket_stream.h"

namespace sockctl {

class LineChannel {
  public:
    explicit LineChannel(SocketStream stream);

    int fd() const { return stream_.fd(); }
    // The TLS session, nullptr on a plain connection.
    const sockchat::tls::Stream* tls() const { return stream_.tls(); }
    // What to poll fd() for: POLLIN always (the server may speak at any time), POLLOUT while
    // output waits for the socket. TLS may ask the other way round (a read that must first
    // write, a write that must first read); this says so.
    short pollEvents() const;

    // Reads what the socket has. False when the peer closed or the read failed; *why then says
    // which ("closed by the server", "Connection reset by peer").
    bool readAvailable(std::string* why);
    // The next complete line without its "\n" or "\r\n".
    std::optional<std::string> nextLine();

    // Queues line + "\n" and writes as much as the socket takes now.
    void sendLine(std::string_view line);
    bool wantsWrite() const { return !output_.empty(); }
    // Writes queued output. False on a write error (reason in *why).
    bool flush(std::string* why);

    // Leaving politely: sends what is queued (bounded), half-closes (TLS: close_notify first),
    // and reads until the server closes (bounded), so neither side sees a reset and the server's
    // last lines are not lost. Lines that arrive meanwhile are kept for nextLine().
    void closeGracefully(std::chrono::milliseconds timeout);

  private:
    SocketStream stream_;
    std::string input_, output_;
    Io lastRead_ = Io::wantRead;    // what the last read waits for
    Io lastWrite_ = Io::wantWrite;  // what the last unfinished write waits for
};

}  // namespace sockctl
