#pragma once
// FdReserve: the classic reserve fd (one open /dev/null), shared by every worker. When the
// process runs out of fds, accept() fails and newcomers would wait silently in the backlog; with
// the reserve given back for a moment, a worker can still accept one, tell it the server is full
// and close it. Every worker accept goes through here: while fds are short one at a time, and at
// all times never beside a reserve accept (a readers-writer lock, shared for plain accepts), so
// that no worker's plain accept4 can take the fd another just freed from the reserve: the newcomer
// it got would hold that fd, the reserve would be lost for as long as the clients stay, and every
// later newcomer would wait silently in the backlog.
#include <atomic>
#include <mutex>
#include <shared_mutex>
#include <string_view>

#include "sockchat/net/address.h"
#include "sockchat/net/fd.h"

namespace sockchatd {

class FdReserve {
  public:
    FdReserve();

    // Set when an accept failed for want of fds; cleared when an accept through the reserve
    // finds fds again.
    bool isShort() const { return short_.load(std::memory_order_relaxed); }
    void markShort() { short_.store(true, std::memory_order_relaxed); }

    struct Outcome {
        enum class Kind {
            kept,     // fds are back: fd is a newcomer to serve as usual
            refused,  // told `refusal` and closed; still short of fds
            none,     // nobody waiting
            failed,   // no reserve to give (another thread holds every fd): pause and retry
        } kind;
        sockchat::net::Fd fd;
        sockchat::net::SocketAddress peer;
        int error = 0;  // for failed
    };
    // accept4 as usual (SOCK_NONBLOCK | SOCK_CLOEXEC), but never while a reserve accept is in
    // progress. Returns the fd, or -1 with errno set.
    int accept(int listenFd, sockaddr* address, socklen_t* length);
    // Accepts one newcomer from listenFd through the reserve. `refusal` is written to a newcomer
    // that cannot be kept (may be empty: closed without a word).
    Outcome acceptOne(int listenFd, std::string_view refusal);

  private:
    std::shared_mutex mutex_;  // shared: plain accepts; exclusive: an accept through the reserve
    sockchat::net::Fd reserve_;
    std::atomic<bool> short_{false};
};

}  // namespace sockchatd
