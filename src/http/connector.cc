#include "sockchat/http/connector.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "sockchat/http/fetch_error.h"
#include "sockchat/http/transport.h"

namespace sockchat::http {
namespace {

// What the resolver thread hands back. Shared, so that a thread still blocked in getaddrinfo
// after the caller gave up keeps it alive until it is done.
struct Resolution {
    std::mutex mutex;
    std::condition_variable done;
    bool finished = false;
    int status = 0;
    std::vector<net::SocketAddress> addresses;
};

void runGetaddrinfo(const std::shared_ptr<Resolution>& result, const std::string& host,
                    std::uint16_t port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    addrinfo* list = nullptr;
    const int status = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
    std::vector<net::SocketAddress> addresses;
    if (status == 0) {
        for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next)
            addresses.push_back(net::SocketAddress::fromSockaddr(ai->ai_addr, ai->ai_addrlen));
        ::freeaddrinfo(list);
    }
    std::lock_guard lock(result->mutex);
    result->status = status;
    result->addresses = std::move(addresses);
    result->finished = true;
    result->done.notify_all();
}

long long elapsedMs(Deadline::Clock::time_point started) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Deadline::Clock::now() - started)
        .count();
}

// One non-blocking connect attempt. Returns the socket, or an invalid Fd with *error set
// (ETIMEDOUT when the attempt's deadline passed).
net::Fd tryConnect(const net::SocketAddress& address, const Deadline& deadline, int* error) {
    net::Fd fd(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        *error = errno;
        return {};
    }
    if (::connect(fd.get(), address.data(), address.size()) == 0) return fd;
    if (errno != EINPROGRESS && errno != EINTR) {
        *error = errno;
        return {};
    }
    if (!waitForFd(fd.get(), POLLOUT, deadline)) {
        *error = ETIMEDOUT;
        return {};
    }
    int soError = 0;
    socklen_t len = sizeof soError;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &soError, &len) != 0) soError = errno;
    if (soError != 0) {
        *error = soError;
        return {};
    }
    return fd;
}

}  // namespace

std::vector<net::SocketAddress> resolveHost(const std::string& host, std::uint16_t port,
                                            const Deadline& deadline) {
    if (auto loopback = net::localhostAddresses(host, port)) return std::move(*loopback);
    // An address literal needs no resolver, so it must not be able to time out "resolving"
    // when -m runs out at that moment (e.g. in a redirect loop).
    const std::string literal =
        host.find(':') != std::string::npos ? "[" + host + "]:0" : host + ":0";
    if (auto address = net::SocketAddress::parse(literal)) {
        address->setPort(port);
        return {*address};
    }
    auto result = std::make_shared<Resolution>();
    // Detached on purpose: getaddrinfo cannot be interrupted, and the fetch must not wait for
    // it past its deadline. The thread owns a reference to everything it touches.
    std::thread([result, host, port] { runGetaddrinfo(result, host, port); }).detach();

    std::unique_lock lock(result->mutex);
    const auto finished = [&] { return result->finished; };
    if (const auto at = deadline.at()) {
        if (!result->done.wait_until(lock, *at, finished))
            throw FetchError(FetchCode::operationTimedOut, "Resolving timed out for host: " + host);
    } else {
        result->done.wait(lock, finished);
    }
    if (result->status != 0 || result->addresses.empty())
        throw FetchError(FetchCode::couldntResolveHost, "Could not resolve host: " + host);
    return std::move(result->addresses);
}

Connected connectToHost(const std::string& host, std::uint16_t port,
                        const std::vector<net::SocketAddress>& addresses, const Deadline& deadline,
                        Deadline::Clock::time_point started, const Trace& trace) {
    int lastError = ECONNREFUSED;
    for (std::size_t i = 0; i < addresses.size(); ++i) {
        const auto& address = addresses[i];
        Deadline attempt = deadline;
        if (const auto at = deadline.at(); at && i + 1 < addresses.size()) {
            const auto share =
                (*at - Deadline::Clock::now()) / static_cast<long>(addresses.size() - i);
            attempt = Deadline::after(share);
        }
        trace.info("  Trying " + address.toString() + "...");
        int error = 0;
        net::Fd fd = tryConnect(address, attempt, &error);
        if (fd) {
            trace.info("Connected to " + host + " (" + address.ipString() + ") port " +
                       std::to_string(port));
            return {std::move(fd), address};
        }
        lastError = error;
        trace.info("connect to " + address.ipString() + " port " + std::to_string(port) +
                   " failed: " + std::strerror(error));
        if (deadline.expired()) break;
    }
    if (lastError == ETIMEDOUT && deadline.expired())
        throw FetchError(FetchCode::operationTimedOut, "Failed to connect to " + host + " port " +
                                                           std::to_string(port) + " after " +
                                                           std::to_string(elapsedMs(started)) +
                                                           " ms: Timeout was reached");
    throw FetchError(FetchCode::couldntConnect, "Failed to connect to " + host + " port " +
                                                    std::to_string(port) + " : " +
                                                    std::strerror(lastError));
}

}  // namespace sockchat::http
