#pragma once
// RedisServer: a real redis-server of the test's own, in a fresh temp dir, on a free loopback
// port (or only a Unix socket), with no persistence. The constructor returns once it answers
// PING; its output goes to DIR/redis.log, which start failures quote. Tests break it on purpose:
// stop (SIGTERM/SIGKILL), pause/resume (SIGSTOP/SIGCONT), restart on the same port or socket.
// The destructor kills it.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "sockchat/redis/connection.h"
#include "sockchat/redis/reply.h"

namespace sockchat::testing {

class RedisServer {
  public:
    struct Options {
        bool unixSocket = false;  // --port 0 --unixsocket DIR/redis.sock
        std::string password;     // --requirepass
        // An ACL user with every permission (--user NAME on >PASS ~* &* +@all).
        std::string aclUser;
        std::string aclPassword;
        bool start = true;                   // false: pick the port/socket now, start() later
        std::vector<std::string> extraArgs;  // e.g. {"--replicaof", "127.0.0.1 6379"}
        // Non-zero: run as a Sentinel (redis-server --sentinel) that monitors the master on this
        // port as "mymaster" (quorum 2, down after 1s), with the other options ignored.
        std::uint16_t sentinelOf = 0;
    };

    RedisServer() : RedisServer(Options{}) {}
    explicit RedisServer(Options options);
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;
    ~RedisServer();

    void start();  // (again) on the same port or socket; waits for PING
    void stop(bool kill = false);
    void pause();   // SIGSTOP: connections stay open, nothing is answered
    void resume();  // SIGCONT
    void restart() {
        stop(true);
        start();
    }
    bool running() const { return pid_ > 0; }
    pid_t pid() const { return pid_; }

    std::uint16_t port() const { return port_; }
    const std::string& socketPath() const { return socketPath_; }
    const std::string& dir() const { return dir_; }
    std::string log() const;

    // Where a Connection should go (TCP 127.0.0.1:port, or the Unix socket).
    redis::Target target() const;

    // A blocking command on a short-lived connection of its own (authenticated as configured),
    // for setting up and inspecting the server from the test thread.
    redis::Reply command(const std::vector<std::string>& argv) const;

  private:
    void waitReady(std::chrono::milliseconds timeout);

    Options options_;
    std::string dir_;
    std::string socketPath_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace sockchat::testing
