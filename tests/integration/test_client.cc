#include "test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace sockchat::testing {
namespace {
using Clock = std::chrono::steady_clock;

int remainingMs(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() < 0 ? 0 : static_cast<int>(left.count());
}
}  // namespace

TestClient::TestClient(std::uint16_t port, const std::string& host, const std::string& sourceIp) {
    bool v6 = host.find(':') != std::string::npos;
    fd_.reset(::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd_) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    if (!sourceIp.empty()) {
        sockaddr_storage local{};
        socklen_t len;
        if (v6) {
            auto* sin6 = reinterpret_cast<sockaddr_in6*>(&local);
            sin6->sin6_family = AF_INET6;
            ::inet_pton(AF_INET6, sourceIp.c_str(), &sin6->sin6_addr);
            len = sizeof *sin6;
        } else {
            auto* sin = reinterpret_cast<sockaddr_in*>(&local);
            sin->sin_family = AF_INET;
            ::inet_pton(AF_INET, sourceIp.c_str(), &sin->sin_addr);
            len = sizeof *sin;
        }
        if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&local), len) < 0)
            throw std::runtime_error("bind " + sourceIp + ": " + std::strerror(errno));
    }
    int rc;
    if (v6) {
        sockaddr_in6 sa{};
        sa.sin6_family = AF_INET6;
        sa.sin6_port = htons(port);
        ::inet_pton(AF_INET6, host.c_str(), &sa.sin6_addr);
        rc = ::connect(fd_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    } else {
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(port);
        ::inet_pton(AF_INET, host.c_str(), &sa.sin_addr);
        rc = ::connect(fd_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    }
    if (rc < 0)
        throw std::runtime_error("connect " + host + ":" + std::to_string(port) + ": " +
                                 std::strerror(errno));
}

void TestClient::send(std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error("send: " + std::string(std::strerror(errno)));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::string TestClient::recvExactly(std::size_t n, std::chrono::milliseconds timeout) {
    std::string out;
    auto deadline = Clock::now() + timeout;
    while (out.size() < n) {
        pollfd p{fd_.get(), POLLIN, 0};
        if (::poll(&p, 1, remainingMs(deadline)) <= 0) break;
        char buf[65536];
        ssize_t r = ::recv(fd_.get(), buf, std::min(sizeof buf, n - out.size()), 0);
        if (r <= 0) break;
        out.append(buf, static_cast<std::size_t>(r));
    }
    return out;
}

std::string TestClient::recvSome(std::chrono::milliseconds timeout) {
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return {};
    char buf[65536];
    ssize_t r = ::recv(fd_.get(), buf, sizeof buf, 0);
    return r > 0 ? std::string(buf, static_cast<std::size_t>(r)) : std::string();
}

bool TestClient::waitClosed(std::chrono::milliseconds timeout, std::string* rest) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        pollfd p{fd_.get(), POLLIN, 0};
        if (::poll(&p, 1, remainingMs(deadline)) <= 0) return false;
        char buf[65536];
        ssize_t r = ::recv(fd_.get(), buf, sizeof buf, 0);
        if (r == 0 || (r < 0 && errno == ECONNRESET)) return true;
        if (r < 0) return false;
        if (rest) rest->append(buf, static_cast<std::size_t>(r));
    }
}

void TestClient::shutdownWrite() {
    ::shutdown(fd_.get(), SHUT_WR);
}

bool connectionRefused(std::uint16_t port) {
    sockchat::net::Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 &&
           errno == ECONNREFUSED;
}

}  // namespace sockchat::testing
