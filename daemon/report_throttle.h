#pragma once
// ReportThrottle: lets a repeated warning (connections refused over a limit, accept out of fds)
// through at most once per interval, daemon-wide, and counts what it held back, so that a flood
// of newcomers costs one log line a second instead of one per connection, and that line still
// says how many there were. Thread-safe: every worker reports through the same object.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

namespace sockchatd {

class ReportThrottle {
  public:
    explicit ReportThrottle(std::chrono::milliseconds interval) : intervalMs_(interval.count()) {}

    // Counts one occurrence. Returns how many occurrences were held back since the last report
    // that went through (0 or more) if this one should be logged now, nullopt if not.
    std::optional<std::uint64_t> occurred() {
        held_.fetch_add(1, std::memory_order_relaxed);
        std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
        std::int64_t last = lastMs_.load(std::memory_order_relaxed);
        if (last != kNever && now - last < intervalMs_) return std::nullopt;
        if (!lastMs_.compare_exchange_strong(last, now)) return std::nullopt;  // another won
        return held_.exchange(0) - 1;  // this one is logged, not held back
    }

  private:
    static constexpr std::int64_t kNever = INT64_MIN;
    const std::int64_t intervalMs_;
    std::atomic<std::int64_t> lastMs_{kNever};
    std::atomic<std::uint64_t> held_{0};
};

}  // namespace sockchatd
