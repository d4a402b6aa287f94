#include "metrics_server.h"

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "sockchat/net/socket.h"

namespace sockchatd {
namespace {

constexpr std::size_t kMaxRequestBytes = 8192;
constexpr std::size_t kMaxClients = 64;
// A scraper that connects and says nothing must not hold a slot for long.
constexpr auto kRequestTimeout = std::chrono::seconds(5);
// Scrapes are rare: when fds run out, waiting a second before the next accept costs nothing.
constexpr auto kAcceptPause = std::chrono::seconds(1);

std::string httpResponse(const char* status, const char* contentType, const std::string& body) {
    return std::string("HTTP/1.1 ") + status + "\r\nContent-Type: " + contentType +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
           body;
}

}  // namespace

MetricsServer::MetricsServer(sockchat::net::EventLoop& loop, sockchat::log::Logger& logger,
                             std::function<std::string()> render)
    : loop_(loop), logger_(logger), render_(std::move(render)) {}

MetricsServer::~MetricsServer() {
    for (auto& [fd, client] : clients_) {
        if (client->deadline) loop_.cancel(client->deadline);
        loop_.unwatch(fd);
    }
    if (resumeTimer_) loop_.cancel(resumeTimer_);
    if (listener_ && !resumeTimer_) loop_.unwatch(listener_.get());
}

bool MetricsServer::listen(const sockchat::net::SocketAddress& address, int* error) {
    listener_ = sockchat::net::listenTcp(address, 64, error);
    if (!listener_) return false;
    address_ = sockchat::net::localAddress(listener_.get());
    loop_.watch(listener_.get(), EPOLLIN, [this](std::uint32_t) { onAcceptable(); });
    return true;
}

void MetricsServer::onAcceptable() {
    for (;;) {
        int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            int error = errno;
            if (error == EINTR || error == ECONNABORTED || error == EPROTO) continue;
            if (error != EAGAIN && error != EWOULDBLOCK) pauseAccepting(error);
            return;
        }
        sockchat::net::Fd owned(fd);
        if (clients_.size() >= kMaxClients) continue;  // closed by owned's destructor
        auto client = std::make_unique<Client>();
        client->fd = std::move(owned);
        client->deadline = loop_.runAfter(kRequestTimeout, [this, fd] {
            clients_.at(fd)->deadline = 0;
            drop(fd);
        });
        loop_.watch(fd, EPOLLIN, [this, fd](std::uint32_t events) { onClientEvent(fd, events); });
        clients_.emplace(fd, std::move(client));
    }
}

void MetricsServer::pauseAccepting(int error) {
    logger_.error("limit", "metrics: cannot accept, pausing accept",
                  {{"listener", address_.toString()}, {"reason", std::strerror(error)}});
    loop_.unwatch(listener_.get());
    resumeTimer_ = loop_.runAfter(kAcceptPause, [this] {
        resumeTimer_ = 0;
        loop_.watch(listener_.get(), EPOLLIN, [this](std::uint32_t) { onAcceptable(); });
    });
}

void MetricsServer::onClientEvent(int fd, std::uint32_t events) {
    Client& client = *clients_.at(fd);
    if (!client.response.empty()) {
        respond(client);
        return;
    }
    if (events & (EPOLLERR | EPOLLHUP)) {
        drop(fd);
        return;
    }
    char buf[2048];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        drop(fd);
        return;
    }
    client.request.append(buf, static_cast<std::size_t>(n));
    if (client.request.find("\r\n\r\n") == std::string::npos &&
        client.request.find("\n\n") == std::string::npos) {
        if (client.request.size() > kMaxRequestBytes) {
            client.response = httpResponse("431 Request Header Fields Too Large", "text/plain",
                                           "request too large\n");
            respond(client);
        }
        return;
    }
    std::string_view line(client.request);
    line = line.substr(0, line.find_first_of("\r\n"));
    if (line.starts_with("GET /metrics ") || line == "GET /metrics")
        client.response =
            httpResponse("200 OK", "text/plain; version=0.0.4; charset=utf-8", render_());
    else if (line.starts_with("GET "))
        client.response = httpResponse("404 Not Found", "text/plain", "try /metrics\n");
    else
        client.response = httpResponse("405 Method Not Allowed", "text/plain", "only GET\n");
    respond(client);
}

void MetricsServer::respond(Client& client) {
    int fd = client.fd.get();
    while (client.sent < client.response.size()) {
        ssize_t n = sockchat::net::sendNoSignal(fd, client.response.data() + client.sent,
                                                client.response.size() - client.sent);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                loop_.modify(fd, EPOLLOUT);
                return;
            }
            break;
        }
        client.sent += static_cast<std::size_t>(n);
    }
    drop(fd);
}

void MetricsServer::drop(int fd) {
    auto it = clients_.find(fd);
    if (it == clients_.end()) return;
    if (it->second->deadline) loop_.cancel(it->second->deadline);
    loop_.unwatch(fd);
    clients_.erase(it);  // closes the fd
}

}  // namespace sockchatd
