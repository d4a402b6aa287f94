#pragma once
// IdleTracker: a worker's connections in order of their last activity, under one timer (libev's
// "be smart about timeouts": every connection has the same idle_timeout, so the least recently
// active one is always due first). Activity moves a connection to the tail in O(1); the timer
// fires for the head. One timer per connection cost ~136 bytes of timer maps each (a tenth of an
// idle connection); an entry here is two pointers and a time.
#include <chrono>
#include <functional>

#include "sockchat/net/event_loop.h"

namespace sockchatd {

class IdleTracker {
  public:
    using Clock = std::chrono::steady_clock;

    // What a tracked object embeds. Owned by the tracker's loop thread.
    class Entry {
      public:
        Entry() = default;
        Entry(const Entry&) = delete;
        Entry& operator=(const Entry&) = delete;
        Clock::time_point lastActive() const { return lastActive_; }
        bool tracked() const { return prev_ != this; }

      private:
        friend class IdleTracker;
        Entry* prev_ = this;  // this: not tracked (no flag: a byte here is 8 per connection)
        Entry* next_ = nullptr;
        Clock::time_point lastActive_{};
    };

    // `due` runs for an entry idle for the timeout, already untracked: track() it again to keep
    // it (it was active after all), or close it.
    IdleTracker(sockchat::net::EventLoop& loop, std::function<void(Entry&)> due);
    ~IdleTracker();
    IdleTracker(const IdleTracker&) = delete;
    IdleTracker& operator=(const IdleTracker&) = delete;

    // Zero: nothing is ever due (entries are still kept in order, for when it comes back).
    void setTimeout(std::chrono::milliseconds timeout);
    std::chrono::milliseconds timeout() const { return timeout_; }
    // Active now: to the tail (tracked first if it was not).
    void touch(Entry& entry);
    void untrack(Entry& entry);

  private:
    void arm();
    void onTimer();

    sockchat::net::EventLoop& loop_;
    std::function<void(Entry&)> due_;
    std::chrono::milliseconds timeout_{0};
    Entry* head_ = nullptr;  // least recently active
    Entry* tail_ = nullptr;
    sockchat::net::EventLoop::TimerId timer_ = 0;
};

}  // namespace sockchatd
