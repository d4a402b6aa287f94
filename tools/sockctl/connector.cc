#include "connector.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace sockctl {

using sockchat::net::Fd;

Connector::Connector(Endpoint endpoint, std::chrono::milliseconds perAddressTimeout)
    : endpoint_(std::move(endpoint)), perAddressTimeout_(perAddressTimeout) {}

void Connector::start() {
    fd_.reset();
    error_.clear();
    resolveFailed_ = false;
    // Resolved on every attempt: after a daemon move or a DNS change, a reconnect should
    // follow the name, not a stale address.
    addresses_ = resolveEndpoint(endpoint_, &error_);
    if (addresses_.empty()) {
        resolveFailed_ = true;
        status_ = Status::failed;
        return;
    }
    tryFrom(0);
}

void Connector::tryFrom(std::size_t index) {
    for (index_ = index; index_ < addresses_.size(); ++index_) {
        const auto& address = addresses_[index_];
        fd_.reset(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!fd_) {
            error_ = std::strerror(errno);
            continue;
        }
        if (::connect(fd_.get(), address.data(), address.size()) == 0) {
            status_ = Status::connected;
            return;
        }
        if (errno == EINPROGRESS || errno == EINTR) {
            status_ = Status::inProgress;
            deadline_ = Clock::now() + perAddressTimeout_;
            return;
        }
        error_ = std::strerror(errno);
        fd_.reset();
    }
    status_ = Status::failed;
}

void Connector::step() {
    if (status_ != Status::inProgress) return;
    int err = 0;
    socklen_t len = sizeof err;
    pollfd p{fd_.get(), POLLOUT, 0};
    bool ready = ::poll(&p, 1, 0) > 0;
    if (ready) {
        if (::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
        if (err == 0) {
            status_ = Status::connected;
            return;
        }
        error_ = std::strerror(err);
    } else if (Clock::now() >= deadline_) {
        error_ = std::strerror(ETIMEDOUT);
    } else {
        return;  // spurious wake-up: keep waiting
    }
    fd_.reset();
    tryFrom(index_ + 1);
}

Fd Connector::take() {
    status_ = Status::idle;
    // Callers do blocking or poll-driven I/O of their own; hand over a plain blocking socket.
    int flags = ::fcntl(fd_.get(), F_GETFL);
    if (flags >= 0) ::fcntl(fd_.get(), F_SETFL, flags & ~O_NONBLOCK);
    return std::move(fd_);
}

Fd connectNow(const Endpoint& endpoint, std::string* message) {
    Connector connector(endpoint);
    connector.start();
    while (connector.status() == Connector::Status::inProgress) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(connector.deadline() -
                                                                          Connector::Clock::now());
        pollfd p{connector.fd(), POLLOUT, 0};
        ::poll(&p, 1, left.count() > 0 ? static_cast<int>(left.count()) + 1 : 0);
        connector.step();
    }
    if (connector.status() == Connector::Status::connected) return connector.take();
    *message = cannotConnectMessage(endpoint, connector);
    return {};
}

std::string cannotConnectMessage(const Endpoint& endpoint, const Connector& failed) {
    std::string text = "cannot connect to " + endpoint.toString() + ": " + failed.error();
    // The hint helps when nothing answers at a good address; after a resolver error it would
    // only mislead (the daemon is not the problem, the name is).
    if (!failed.resolveFailed())
        text += " \xE2\x80\x94 is sockchatd running? (systemctl status sockchatd)";
    return text;
}

}  // namespace sockctl
