#pragma once
// FakeAdminServer: a stand-in for sockchatd's admin socket (daemon/admin/PROTOCOL.md), so that
// the real sockctl binary is tested over a real Unix socket without the daemon. It accepts one
// connection on a thread, reads one request line, answers with a canned reply line (or closes
// without one) and keeps the request for the test to check. Every wait is bounded.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "sockchat/net/fd.h"

namespace sockctl_test {

class FakeAdminServer {
  public:
    // What the server does once it has the request line: answer (reply: the line, without
    // newline), close without a word, or say nothing and keep the connection open until the
    // server is destroyed (a wedged daemon).
    enum class Silence { close, hold };
    explicit FakeAdminServer(std::string reply);
    explicit FakeAdminServer(Silence silence);
    ~FakeAdminServer();
    FakeAdminServer(const FakeAdminServer&) = delete;
    FakeAdminServer& operator=(const FakeAdminServer&) = delete;

    // The socket's path, in a fresh directory (mode 0755) of its own.
    const std::string& path() const { return path_; }
    const std::string& dir() const { return dir_; }

    // The request line it got (without newline), waiting at most `timeout` for it; nullopt if
    // none came (no connection, or a connection that sent no whole line).
    std::optional<std::string> request(
        std::chrono::milliseconds timeout = std::chrono::seconds(10));

  private:
    FakeAdminServer(std::optional<std::string> reply, Silence silence);
    void serve();
    bool readable(int fd) const;  // within the wait limit, and not told to stop

    std::optional<std::string> reply_;
    Silence silence_ = Silence::close;
    std::string dir_, path_;
    sockchat::net::Fd listener_, stop_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable done_;
    bool finished_ = false;
    std::optional<std::string> request_;
};

}  // namespace sockctl_test
