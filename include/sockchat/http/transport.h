#pragma once
// Transport: a byte stream to the server (plain TCP or TLS over it), read and written with a
// deadline. The fetcher speaks HTTP over this interface and does not know which one it has.
#include <cstddef>
#include <span>
#include <string_view>

#include "sockchat/http/deadline.h"
#include "sockchat/net/fd.h"

namespace sockchat::http {

enum class IoStatus { done, eof, timedOut };

struct ReadResult {
    IoStatus status = IoStatus::done;
    std::size_t bytes = 0;  // > 0 when status is done
};

class Transport {
  public:
    virtual ~Transport() = default;
    // Reads what is available (at least one byte), or reports EOF / the deadline. A receive
    // failure (e.g. connection reset) throws FetchError recvError.
    virtual ReadResult read(std::span<char> buffer, const Deadline& deadline) = 0;
    // Sends everything, or returns timedOut. A send failure throws FetchError sendError.
    virtual IoStatus writeAll(std::string_view data, const Deadline& deadline) = 0;
};

// Plain TCP on a connected non-blocking socket.
class PlainTransport final : public Transport {
  public:
    explicit PlainTransport(net::Fd socket) : socket_(std::move(socket)) {}
    ReadResult read(std::span<char> buffer, const Deadline& deadline) override;
    IoStatus writeAll(std::string_view data, const Deadline& deadline) override;

  private:
    net::Fd socket_;
};

// Waits until fd is ready for events (POLLIN/POLLOUT) or the deadline passes; returns false on
// the deadline. Retries on EINTR so a signal never shortens a wait.
bool waitForFd(int fd, short events, const Deadline& deadline);

// "Connection reset by peer": the text curl shows after "Recv failure: ".
[[noreturn]] void throwRecvFailure(int error);
[[noreturn]] void throwSendFailure(int error);

}  // namespace sockchat::http
