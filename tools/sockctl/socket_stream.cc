#include "socket_stream.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "sockchat/net/socket.h"

namespace sockctl {
namespace {

void makeNonBlocking(int fd) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

}  // namespace

SocketStream::SocketStream(sockchat::net::Fd fd) : fd_(std::move(fd)) {
    makeNonBlocking(fd_.get());
}

SocketStream::SocketStream(sockchat::net::Fd fd, sockchat::tls::Stream tls)
    : fd_(std::move(fd)), tls_(std::move(tls)) {
    makeNonBlocking(fd_.get());
}

Io SocketStream::read(char* buffer, std::size_t size, std::size_t* n) {
    if (tls_) {
        Io io = tls_->read(buffer, size, n);
        if (io == Io::failed) error_ = tls_->error();
        return io;
    }
    *n = 0;
    for (;;) {
        ssize_t got = ::recv(fd_.get(), buffer, size, 0);
        if (got > 0) {
            *n = static_cast<std::size_t>(got);
            return Io::ok;
        }
        if (got == 0) return Io::closed;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return Io::wantRead;
        error_ = std::strerror(errno);
        return Io::failed;
    }
}

Io SocketStream::write(const char* data, std::size_t size, std::size_t* n) {
    if (tls_) {
        Io io = tls_->write(data, size, n);
        if (io == Io::failed) error_ = tls_->error();
        if (io == Io::failed && tls_->failure() == sockchat::tls::Stream::Failure::socket) {
            // The server may have said why in an alert before it closed (TLS 1.3 refuses a
            // missing client certificate only after the client's handshake): the alert is the
            // reason to show, not the reset that our write met.
            char alert[512];
            std::size_t ignored = 0;
            if (tls_->read(alert, sizeof alert, &ignored) == Io::failed &&
                tls_->failure() == sockchat::tls::Stream::Failure::protocol)
                error_ = tls_->error();
        }
        // The peer's close_notify while we write: as a plain socket's EPIPE would be.
        if (io == Io::closed) error_ = "closed by the server";
        return io == Io::closed ? Io::failed : io;
    }
    *n = 0;
    for (;;) {
        ssize_t sent = sockchat::net::sendNoSignal(fd_.get(), data, size);
        if (sent >= 0) {
            *n = static_cast<std::size_t>(sent);
            return Io::ok;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return Io::wantWrite;
        error_ = std::strerror(errno);
        return Io::failed;
    }
}

bool SocketStream::hasBufferedInput() const {
    return tls_ && tls_->hasBufferedInput();
}

void SocketStream::shutdownWrite() {
    if (tls_) tls_->shutdown();
    ::shutdown(fd_.get(), SHUT_WR);
}

short pollEventsFor(Io io) {
    return io == Io::wantWrite ? POLLOUT : POLLIN;
}

}  // namespace sockctl
