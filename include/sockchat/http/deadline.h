#pragma once
// Deadline: a point on the steady clock after which a wait must give up, or none. Every
// blocking step of a fetch waits with one of these, which is what makes "never a hang" a
// property of the code rather than of the server.
#include <algorithm>
#include <chrono>
#include <optional>

namespace sockchat::http {

class Deadline {
  public:
    using Clock = std::chrono::steady_clock;

    Deadline() = default;  // never expires
    static Deadline after(std::chrono::duration<double> seconds) {
        Deadline d;
        d.at_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(seconds);
        return d;
    }
    static Deadline never() { return {}; }

    // The earlier of two deadlines: e.g. a connect deadline bounded by the whole-transfer one.
    static Deadline earliest(const Deadline& a, const Deadline& b) {
        if (!a.at_) return b;
        if (!b.at_) return a;
        return *a.at_ <= *b.at_ ? a : b;
    }

    bool expired() const { return at_ && Clock::now() >= *at_; }
    bool isSet() const { return at_.has_value(); }
    std::optional<Clock::time_point> at() const { return at_; }

    // Milliseconds left, rounded up so a wait never returns just before the deadline, as
    // poll() wants it: -1 for "no deadline", 0 once expired.
    int pollTimeoutMs() const {
        if (!at_) return -1;
        const auto left = *at_ - Clock::now();
        if (left <= Clock::duration::zero()) return 0;
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
        return static_cast<int>(std::min<long long>(ms, 1'000'000'000));
    }

  private:
    std::optional<Clock::time_point> at_;
};

}  // namespace sockchat::http
