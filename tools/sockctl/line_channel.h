#pragma once
// LineChannel: a connected socket spoken to in lines, for a poll loop. Input is buffered until
// a '\n'; output is buffered and written as the socket accepts it, so a slow server never blocks
// the terminal.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "sockchat/net/fd.h"

namespace sockctl {

class LineChannel {
  public:
    // Takes the socket and makes it non-blocking.
    explicit LineChannel(sockchat::net::Fd fd);

    int fd() const { return fd_.get(); }

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

    // Leaving politely: sends what is queued (bounded), half-closes, and reads until the server
    // closes (bounded), so neither side sees a reset and the server's last lines are not lost.
    // Lines that arrive meanwhile are kept for nextLine().
    void closeGracefully(std::chrono::milliseconds timeout);

  private:
    sockchat::net::Fd fd_;
    std::string input_, output_;
};

}  // namespace sockctl
