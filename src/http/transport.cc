#include "sockchat/http/transport.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "sockchat/http/fetch_error.h"
#include "sockchat/net/socket.h"

namespace sockchat::http {

bool waitForFd(int fd, short events, const Deadline& deadline) {
    for (;;) {
        pollfd p{fd, events, 0};
        const int n = ::poll(&p, 1, deadline.pollTimeoutMs());
        if (n > 0) return true;  // readable, writable, or an error/hang-up the next call reports
        if (n == 0) {
            if (deadline.expired()) return false;
            continue;  // woke a little early (rounding); wait for the rest
        }
        if (errno != EINTR) return true;  // let the following I/O call report the error
    }
}

void throwRecvFailure(int error) {
    throw FetchError(FetchCode::recvError, std::string("Recv failure: ") + std::strerror(error));
}

void throwSendFailure(int error) {
    throw FetchError(FetchCode::sendError,
                     std::string("Failed sending data to the peer: ") + std::strerror(error));
}

ReadResult PlainTransport::read(std::span<char> buffer, const Deadline& deadline) {
    for (;;) {
        const ssize_t n = ::recv(socket_.get(), buffer.data(), buffer.size(), 0);
        if (n > 0) return {IoStatus::done, static_cast<std::size_t>(n)};
        if (n == 0) return {IoStatus::eof, 0};
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) throwRecvFailure(errno);
        if (!waitForFd(socket_.get(), POLLIN, deadline)) return {IoStatus::timedOut, 0};
    }
}

IoStatus PlainTransport::writeAll(std::string_view data, const Deadline& deadline) {
    while (!data.empty()) {
        const ssize_t n = net::sendNoSignal(socket_.get(), data.data(), data.size());
        if (n >= 0) {
            data.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) throwSendFailure(errno);
        if (!waitForFd(socket_.get(), POLLOUT, deadline)) return IoStatus::timedOut;
    }
    return IoStatus::done;
}

}  // namespace sockchat::http
