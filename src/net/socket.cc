#include "sockchat/net/socket.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>

namespace sockchat::net {

Fd listenTcp(const SocketAddress& address, int backlog, int* error) {
    Fd fd(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        *error = errno;
        return {};
    }
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (address.family() == AF_INET6)
        ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (::bind(fd.get(), address.data(), address.size()) < 0 || ::listen(fd.get(), backlog) < 0) {
        *error = errno;
        return {};
    }
    return fd;
}

Fd connectTcp(const SocketAddress& address, int* error) {
    Fd fd(::socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) {
        *error = errno;
        return {};
    }
    while (::connect(fd.get(), address.data(), address.size()) < 0) {
        if (errno == EINTR) continue;
        *error = errno;
        return {};
    }
    return fd;
}

SocketAddress localAddress(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return {};
    return SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

SocketAddress peerAddress(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return {};
    return SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

bool isListeningStream(int fd) {
    int type = 0, listening = 0;
    socklen_t len = sizeof type;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM) return false;
    len = sizeof listening;
    return ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening;
}

ssize_t sendNoSignal(int fd, const void* data, std::size_t len) {
    return ::send(fd, data, len, MSG_NOSIGNAL);
}

}  // namespace sockchat::net
