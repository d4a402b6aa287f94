#pragma once
// TcpProxy: forwards every connection made to an ephemeral loopback port to a target port, on a
// thread (and EventLoop) of its own, so a test can break a live link between a client and a
// server: cutAll() closes every proxied connection at once (a dropped link), pause(true) stops
// forwarding while keeping the sockets open (a stalled link), pause(false) resumes.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "sockchat/net/event_loop.h"
#include "sockchat/net/fd.h"

namespace sockchat::testing {

class TcpProxy {
  public:
    explicit TcpProxy(std::uint16_t targetPort);
    TcpProxy(const TcpProxy&) = delete;
    TcpProxy& operator=(const TcpProxy&) = delete;
    ~TcpProxy();

    std::uint16_t port() const { return port_; }
    // Both wait until the proxy thread has done it.
    void cutAll();
    void pause(bool paused);
    std::size_t connectionCount();

  private:
    struct Pipe;  // one proxied connection: client side and server side

    void runOnLoop(const std::function<void()>& task);
    void accept();
    void onEvent(Pipe& pipe, bool fromClient, std::uint32_t events);
    void close(Pipe& pipe);
    void updateInterest(Pipe& pipe);

    std::uint16_t targetPort_;
    std::uint16_t port_ = 0;
    net::Fd listener_;
    // Runs on thread_, and outlives it: quit() may still be writing to its wake-up fd when run()
    // returns.
    net::EventLoop loop_;
    std::thread thread_;
    // Loop thread only:
    bool paused_ = false;
    std::map<int, std::unique_ptr<Pipe>> pipes_;  // by client fd
};

}  // namespace sockchat::testing
