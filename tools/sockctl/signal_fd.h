#pragma once
// SignalFd: delivers chosen signals through a file descriptor instead of handlers, so the chat
// loop's poll() sees Ctrl-C and terminal resizes like any other input. The signals are blocked
// while it exists; the old mask comes back when it goes.
#include <signal.h>

#include <initializer_list>

#include "sockchat/net/fd.h"

namespace sockctl {

class SignalFd {
  public:
    explicit SignalFd(std::initializer_list<int> signals);
    ~SignalFd();
    SignalFd(const SignalFd&) = delete;
    SignalFd& operator=(const SignalFd&) = delete;

    int fd() const { return fd_.get(); }
    // The next pending signal number, or 0 if none.
    int read();

  private:
    sigset_t old_{};
    sockchat::net::Fd fd_;
};

}  // namespace sockctl
