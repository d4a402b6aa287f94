#pragma once
// FdReserve: the classic reserve fd (one open /dev/null), shared by every worker. When the
// process runs out of fds, accept() fails and newcomers would wait silently in the backlog; with
// the reserve given back for a moment, a worker can still accept one, tell it the server is full
// and close it. While fds are short every accept goes through here, one at a time, so that two
// workers cannot take each other's freed fd and lose the reserve for good.
#include <atomic>
#include <mutex>
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
    // Accepts one newcomer from listenFd through the reserve. `refusal` is written to a newcomer
    // that cannot be kept (may be empty: closed without a word).
    Outcome acceptOne(int listenFd, std::string_view refusal);

  private:
    std::mutex mutex_;
    sockchat::net::Fd reserve_;
    std::atomic<bool> short_{false};
};

}  // namespace sockchatd
