#include "fd_reserve.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>

#include "sockchat/net/socket.h"

namespace sockchatd {

namespace {
sockchat::net::Fd openReserve() {
    return sockchat::net::Fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
}
}  // namespace

FdReserve::FdReserve() : reserve_(openReserve()) {}

int FdReserve::accept(int listenFd, sockaddr* address, socklen_t* length) {
    std::shared_lock lock(mutex_);
    return ::accept4(listenFd, address, length, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

FdReserve::Outcome FdReserve::acceptOne(int listenFd, std::string_view refusal) {
    std::unique_lock lock(mutex_);
    if (!reserve_.valid()) reserve_ = openReserve();  // lost earlier: an fd may have come free
    if (!reserve_.valid()) return {Outcome::Kind::failed, {}, {}, errno};
    reserve_.reset();
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    sockchat::net::Fd fd(
        ::accept4(listenFd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC));
    int acceptError = errno;
    reserve_ = openReserve();
    if (!fd.valid()) {
        if (acceptError == EAGAIN || acceptError == EWOULDBLOCK)
            return {Outcome::Kind::none, {}, {}};
        // Interrupted, aborted, or the freed fd went to another thread: nothing to refuse now.
        if (!reserve_.valid()) return {Outcome::Kind::failed, {}, {}, acceptError};
        return {Outcome::Kind::none, {}, {}};
    }
    auto peer = sockchat::net::SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
    if (reserve_.valid()) {  // two fds were free: the shortage is over
        short_.store(false, std::memory_order_relaxed);
        return {Outcome::Kind::kept, std::move(fd), peer};
    }
    if (!refusal.empty()) sockchat::net::sendNoSignal(fd.get(), refusal.data(), refusal.size());
    fd.reset();
    reserve_ = openReserve();  // the fd we just closed
    return {Outcome::Kind::refused, {}, peer};
}

}  // namespace sockchatd
