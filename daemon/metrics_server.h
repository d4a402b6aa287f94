#pragma once
// MetricsServer: a tiny HTTP/1.0-style endpoint on the control loop that answers
// `GET /metrics` with Prometheus text exposition. Requests are small and rare (a scraper every
// few seconds), so it reads one request per connection, answers, and closes.
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "sockchat/log/logger.h"
#include "sockchat/net/address.h"
#include "sockchat/net/event_loop.h"
#include "sockchat/net/fd.h"

namespace sockchatd {

class MetricsServer {
  public:
    // render() produces the exposition text; it runs on the control loop.
    MetricsServer(sockchat::net::EventLoop& loop, sockchat::log::Logger& logger,
                  std::function<std::string()> render);
    ~MetricsServer();

    // Binds and starts watching; on failure returns false with errno in *error.
    bool listen(const sockchat::net::SocketAddress& address, int* error);
    const sockchat::net::SocketAddress& address() const { return address_; }

  private:
    struct Client {
        sockchat::net::Fd fd;
        std::string request;
        std::string response;
        std::size_t sent = 0;
        sockchat::net::EventLoop::TimerId deadline = 0;
    };

    void onAcceptable();
    // Out of fds: stop watching the listener for a while (it is level-triggered, so watching it
    // would spin the control loop) and say so once per pause.
    void pauseAccepting(int error);
    void onClientEvent(int fd, std::uint32_t events);
    void respond(Client& client);
    void drop(int fd);

    sockchat::net::EventLoop& loop_;
    sockchat::log::Logger& logger_;
    std::function<std::string()> render_;
    sockchat::net::Fd listener_;
    sockchat::net::SocketAddress address_;
    std::unordered_map<int, std::unique_ptr<Client>> clients_;
    sockchat::net::EventLoop::TimerId resumeTimer_ = 0;
};

}  // namespace sockchatd
