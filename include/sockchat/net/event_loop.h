#pragma once
// EventLoop: one per thread. It owns an epoll fd, an eventfd for wake-ups, a timer heap driven by
// epoll_wait's timeout, and a task queue. post() and quit() are the only thread-safe members;
// everything else must be called on the loop's own thread (asserted in debug builds).
#include <sys/epoll.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "sockchat/net/fd.h"

namespace sockchat::net {

class EventLoop {
  public:
    using Clock = std::chrono::steady_clock;
    using Task = std::function<void()>;
    using IoCallback = std::function<void(std::uint32_t events)>;
    using TimerId = std::uint64_t;
    using DeferredId = std::uint64_t;

    EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;
    ~EventLoop();

    // Runs until quit(). The thread that calls run() becomes the loop thread.
    void run();
    // Thread-safe: makes run() return after the current iteration.
    void quit();
    // Thread-safe: runs task on the loop thread, in post order.
    void post(Task task);

    // Watches fd for events (EPOLLIN, EPOLLOUT, EPOLLEXCLUSIVE, ...). The callback may call
    // watch/modify/unwatch for any fd, including its own. Loop thread only.
    void watch(int fd, std::uint32_t events, IoCallback callback);
    void modify(int fd, std::uint32_t events);
    void unwatch(int fd);

    // Timers fire on the loop thread. Loop thread only; cancel() of a fired or unknown id is a
    // no-op, so owners may cancel unconditionally.
    TimerId runAfter(Clock::duration delay, Task task);
    TimerId runEvery(Clock::duration interval, Task task);
    void cancel(TimerId id);

    // Runs task once, on the loop thread, after this iteration's I/O callbacks, timers and posted
    // tasks, just before the loop waits again (redis's beforeSleep): a connection gathers all
    // that one iteration produced for it into one write. Loop thread only; cancelDeferred() of a
    // run or unknown id is a no-op.
    DeferredId deferToIterationEnd(Task task);
    void cancelDeferred(DeferredId id);

    bool inLoopThread() const { return std::this_thread::get_id() == owner_.load(); }
    std::size_t watchedCount() const { return watchers_.size(); }

  private:
    struct Watcher {
        std::uint32_t generation;
        IoCallback callback;
    };
    struct Timer {
        Task task;
        Clock::duration interval;  // zero for one-shot timers
    };
    using TimerKey = std::pair<Clock::time_point, TimerId>;

    int nextTimeoutMs() const;
    void dispatch(std::uint64_t token, std::uint32_t events);
    void runExpiredTimers();
    // Runs at most `limit` posted tasks, oldest first; the rest wait for the next pass.
    void runPostedTasks(std::size_t limit);
    void runDeferred();
    void drainWakeup();
    void assertInLoop() const;

    Fd epoll_;
    Fd wakeup_;
    std::atomic<std::thread::id> owner_;
    std::atomic<bool> quit_{false};

    mutable std::mutex mutex_;
    std::vector<Task> pending_;  // guarded by mutex_
    // Taken from pending_ but not run yet (loop thread only): a pass runs a bounded number of
    // tasks, so that a flood of posted work (e.g. room events) cannot starve the sockets.
    std::deque<Task> taken_;

    struct Deferred {
        DeferredId id;
        Task task;  // empty once cancelled or taken to run
    };
    // Loop thread only. In defer order, so by id: cancelDeferred finds its entry by binary
    // search. A vector kept across passes, not a map: under fan-out every peer written to
    // defers its flush each pass, and a node allocated and freed per flush showed in profiles.
    std::vector<Deferred> deferred_;
    std::size_t deferredRun_ = 0;  // entries before this index have been taken to run
    DeferredId nextDeferredId_ = 1;

    // fd -> callback. The epoll token carries a generation so that an event queued for an fd that
    // was unwatched (and maybe reused) within the same iteration is ignored, not misdelivered.
    std::unordered_map<int, Watcher> watchers_;
    std::uint32_t nextGeneration_ = 1;

    std::map<TimerKey, Timer> timers_;
    std::unordered_map<TimerId, Clock::time_point> timerDeadlines_;
    TimerId nextTimerId_ = 1;
};

}  // namespace sockchat::net
