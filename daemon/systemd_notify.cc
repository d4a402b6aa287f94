#include "systemd_notify.h"

#include <systemd/sd-daemon.h>
#include <time.h>

namespace sockchatd {

void SystemdNotifier::ready() const {
    sd_notify(0, "READY=1");
}

void SystemdNotifier::reloading() const {
    // MONOTONIC_USEC lets systemd ≥ 253 (Type=notify-reload) match the reload to this message.
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    auto usec = static_cast<unsigned long long>(ts.tv_sec) * 1000000ULL +
                static_cast<unsigned long long>(ts.tv_nsec) / 1000ULL;
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu", usec);
}

void SystemdNotifier::stopping() const {
    sd_notify(0, "STOPPING=1\nSTATUS=shutting down");
}

void SystemdNotifier::status(const std::string& text) const {
    sd_notifyf(0, "STATUS=%s", text.c_str());
}

void SystemdNotifier::watchdog() const {
    sd_notify(0, "WATCHDOG=1");
}

std::optional<std::chrono::microseconds> SystemdNotifier::watchdogInterval() const {
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) return std::chrono::microseconds(usec);
    return std::nullopt;
}

}  // namespace sockchatd
