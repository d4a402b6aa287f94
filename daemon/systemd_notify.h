#pragma once
// The daemon's side of the sd_notify protocol. Without NOTIFY_SOCKET (not under systemd, not
// under the test harness) every call is a no-op.
#include <chrono>
#include <optional>
#include <string>

namespace sockchatd {

class SystemdNotifier {
  public:
    void ready() const;
    void reloading() const;
    void stopping() const;
    void status(const std::string& text) const;
    void watchdog() const;
    // The watchdog interval systemd asked for (WATCHDOG_USEC for this pid), if any.
    std::optional<std::chrono::microseconds> watchdogInterval() const;
};

}  // namespace sockchatd
