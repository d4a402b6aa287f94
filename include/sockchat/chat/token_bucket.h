#pragma once
// TokenBucket: `rate` tokens per second, at most `burst` saved up. Each chat line takes one;
// a client that types faster than the rate for longer than the burst gets "! slow down".
#include <algorithm>
#include <chrono>

namespace sockchat::chat {

class TokenBucket {
  public:
    using Clock = std::chrono::steady_clock;

    TokenBucket(double rate, double burst, Clock::time_point now)
        : rate_(rate), burst_(burst), tokens_(burst), last_(now) {}

    void reconfigure(double rate, double burst) {
        rate_ = rate;
        burst_ = burst;
        tokens_ = std::min(tokens_, burst_);
    }

    bool take(Clock::time_point now) {
        std::chrono::duration<double> elapsed = now - last_;
        last_ = now;
        tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
        if (tokens_ < 1.0) return false;
        tokens_ -= 1.0;
        return true;
    }

  private:
    double rate_;
    double burst_;
    double tokens_;
    Clock::time_point last_;
};

}  // namespace sockchat::chat
