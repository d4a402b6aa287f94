#include "idle_tracker.h"

namespace sockchatd {

IdleTracker::IdleTracker(sockchat::net::EventLoop& loop, std::function<void(Entry&)> due)
    : loop_(loop), due_(std::move(due)) {}

IdleTracker::~IdleTracker() {
    if (timer_) loop_.cancel(timer_);
    while (head_) untrack(*head_);
}

void IdleTracker::setTimeout(std::chrono::milliseconds timeout) {
    timeout_ = timeout;
    if (timer_) loop_.cancel(timer_);
    timer_ = 0;
    arm();
}

void IdleTracker::touch(Entry& entry) {
    entry.lastActive_ = Clock::now();
    if (entry.tracked() && tail_ == &entry) return;
    if (entry.tracked()) untrack(entry);
    entry.prev_ = tail_;
    entry.next_ = nullptr;
    (tail_ ? tail_->next_ : head_) = &entry;
    tail_ = &entry;
    if (!timer_) arm();
}

void IdleTracker::untrack(Entry& entry) {
    if (!entry.tracked()) return;
    (entry.prev_ ? entry.prev_->next_ : head_) = entry.next_;
    (entry.next_ ? entry.next_->prev_ : tail_) = entry.prev_;
    entry.prev_ = &entry;
    entry.next_ = nullptr;
}

void IdleTracker::arm() {
    // Armed for the head as it was; if the head has been active since, the timer finds it not
    // due and arms again for the new head. So activity never touches the timer.
    if (timer_ || !head_ || timeout_.count() <= 0) return;
    auto delay = head_->lastActive_ + timeout_ - Clock::now();
    timer_ = loop_.runAfter(std::max(Clock::duration::zero(), delay), [this] { onTimer(); });
}

void IdleTracker::onTimer() {
    timer_ = 0;
    auto now = Clock::now();
    while (head_ && timeout_.count() > 0 && now - head_->lastActive_ >= timeout_) {
        Entry& idle = *head_;
        untrack(idle);
        due_(idle);
    }
    arm();
}

}  // namespace sockchatd
