#include "tcp_proxy.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <future>
#include <stdexcept>

#include "outside_process.h"
#include "sockchat/net/socket.h"

namespace sockchat::testing {

struct TcpProxy::Pipe {
    net::Fd client, server;
    std::string toServer, toClient;  // read but not yet written (the other side was full)
};

TcpProxy::TcpProxy(std::uint16_t targetPort) : targetPort_(targetPort) {
    listener_ = net::Fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_in addr = loopback(0);
    socklen_t len = sizeof addr;
    if (!listener_ ||
        ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
        ::listen(listener_.get(), 64) < 0 ||
        ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len) < 0)
        throw std::runtime_error("TcpProxy: cannot listen");
    port_ = ntohs(addr.sin_port);
    // Watched from this thread, which owns the loop until run() starts on thread_.
    loop_.watch(listener_.get(), EPOLLIN, [this](std::uint32_t) { accept(); });
    thread_ = std::thread([this] {
        loop_.run();
        loop_.unwatch(listener_.get());
        for (auto& [fd, pipe] : pipes_) {
            loop_.unwatch(pipe->client.get());
            loop_.unwatch(pipe->server.get());
        }
        pipes_.clear();
    });
}

TcpProxy::~TcpProxy() {
    loop_.quit();
    thread_.join();
}

void TcpProxy::runOnLoop(const std::function<void()>& task) {
    std::promise<void> done;
    loop_.post([&] {
        task();
        done.set_value();
    });
    done.get_future().wait();
}

void TcpProxy::cutAll() {
    runOnLoop([this] {
        while (!pipes_.empty()) close(*pipes_.begin()->second);
    });
}

void TcpProxy::pause(bool paused) {
    runOnLoop([this, paused] {
        paused_ = paused;
        for (auto& [fd, pipe] : pipes_) updateInterest(*pipe);
    });
}

std::size_t TcpProxy::connectionCount() {
    std::size_t count = 0;
    runOnLoop([&] { count = pipes_.size(); });
    return count;
}

void TcpProxy::accept() {
    while (true) {
        net::Fd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!client) return;
        // A blocking connect to loopback completes at once; then the socket goes non-blocking.
        net::Fd server(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in target = loopback(targetPort_);
        if (!server ||
            ::connect(server.get(), reinterpret_cast<sockaddr*>(&target), sizeof target) < 0)
            continue;  // target down: the client sees its connection closed
        ::fcntl(server.get(), F_SETFL, O_NONBLOCK);
        auto pipe = std::make_unique<Pipe>();
        pipe->client = std::move(client);
        pipe->server = std::move(server);
        Pipe& p = *pipe;
        int key = p.client.get();
        pipes_[key] = std::move(pipe);
        loop_.watch(p.client.get(), 0, [this, &p](std::uint32_t ev) { onEvent(p, true, ev); });
        loop_.watch(p.server.get(), 0, [this, &p](std::uint32_t ev) { onEvent(p, false, ev); });
        updateInterest(p);
    }
}

void TcpProxy::updateInterest(Pipe& pipe) {
    // Read a side only while its bytes can go somewhere; write a side only while bytes wait.
    std::uint32_t client = 0, server = 0;
    if (!paused_) {
        if (pipe.toServer.empty()) client |= EPOLLIN;
        if (pipe.toClient.empty()) server |= EPOLLIN;
        if (!pipe.toServer.empty()) server |= EPOLLOUT;
        if (!pipe.toClient.empty()) client |= EPOLLOUT;
    }
    loop_.modify(pipe.client.get(), client);
    loop_.modify(pipe.server.get(), server);
}

void TcpProxy::onEvent(Pipe& pipe, bool fromClient, std::uint32_t events) {
    int self = fromClient ? pipe.client.get() : pipe.server.get();
    int other = fromClient ? pipe.server.get() : pipe.client.get();
    std::string& outbound = fromClient ? pipe.toServer : pipe.toClient;  // self -> other
    std::string& inbound = fromClient ? pipe.toClient : pipe.toServer;   // other -> self
    if (paused_ && !(events & (EPOLLERR | EPOLLHUP))) return;
    if (events & EPOLLOUT && !inbound.empty()) {
        ssize_t n = net::sendNoSignal(self, inbound.data(), inbound.size());
        if (n < 0 && errno != EAGAIN) return close(pipe);
        if (n > 0) inbound.erase(0, static_cast<std::size_t>(n));
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        char buf[16384];
        ssize_t n = ::recv(self, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN)) return close(pipe);
        if (n > 0) {
            ssize_t sent = net::sendNoSignal(other, buf, static_cast<std::size_t>(n));
            if (sent < 0 && errno != EAGAIN) return close(pipe);
            if (sent < 0) sent = 0;
            outbound.append(buf + sent, static_cast<std::size_t>(n - sent));
        }
    }
    updateInterest(pipe);
}

void TcpProxy::close(Pipe& pipe) {
    loop_.unwatch(pipe.client.get());
    loop_.unwatch(pipe.server.get());
    pipes_.erase(pipe.client.get());  // closes both fds
}

}  // namespace sockchat::testing
