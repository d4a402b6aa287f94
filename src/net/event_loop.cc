#include "sockchat/net/event_loop.h"

#include <sys/eventfd.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace sockchat::net {
namespace {

constexpr std::uint64_t kWakeupToken = 0;

std::uint64_t makeToken(int fd, std::uint32_t generation) {
    return (std::uint64_t{generation} << 32) | static_cast<std::uint32_t>(fd);
}

[[noreturn]] void throwErrno(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

EventLoop::EventLoop()
    : epoll_(::epoll_create1(EPOLL_CLOEXEC)),
      wakeup_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      owner_(std::this_thread::get_id()) {
    if (!epoll_) throwErrno("epoll_create1");
    if (!wakeup_) throwErrno("eventfd");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeupToken;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wakeup_.get(), &ev) < 0) throwErrno("epoll_ctl");
}

EventLoop::~EventLoop() = default;

void EventLoop::assertInLoop() const {
    assert(inLoopThread() && "EventLoop member called off its loop thread");
}

namespace {
// Posted tasks run per pass before the loop looks at its sockets again: enough to keep the
// per-pass overhead (one epoll_wait) small, few enough that 10,000 room events queued at once
// do not keep an echo client waiting for all of them.
constexpr std::size_t kTasksPerPass = 256;
}  // namespace

void EventLoop::run() {
    owner_.store(std::this_thread::get_id());
    std::array<epoll_event, 128> events;
    while (!quit_.load(std::memory_order_acquire)) {
        int n = ::epoll_wait(epoll_.get(), events.data(), events.size(), nextTimeoutMs());
        if (n < 0) {
            if (errno == EINTR) continue;
            throwErrno("epoll_wait");
        }
        for (int i = 0; i < n; ++i) {
            if (events[i].data.u64 == kWakeupToken)
                drainWakeup();
            else
                dispatch(events[i].data.u64, events[i].events);
        }
        runExpiredTimers();
        runPostedTasks(kTasksPerPass);
        runDeferred();
    }
    // Tasks posted before quit() still run: they may carry ownership that must be released on
    // this thread (e.g. a connection handed over for shutdown).
    runPostedTasks(SIZE_MAX);
    runDeferred();
}

void EventLoop::quit() {
    quit_.store(true, std::memory_order_release);
    std::uint64_t one = 1;
    [[maybe_unused]] auto ignored = ::write(wakeup_.get(), &one, sizeof one);
}

void EventLoop::post(Task task) {
    bool wasEmpty;
    {
        std::lock_guard lock(mutex_);
        wasEmpty = pending_.empty();
        pending_.push_back(std::move(task));
    }
    // Only the empty -> non-empty transition needs a wake-up: a non-empty queue means a wake-up
    // is already on its way and the loop will take the whole queue at once.
    if (wasEmpty) {
        std::uint64_t one = 1;
        [[maybe_unused]] auto ignored = ::write(wakeup_.get(), &one, sizeof one);
    }
}

void EventLoop::drainWakeup() {
    std::uint64_t count;
    [[maybe_unused]] auto ignored = ::read(wakeup_.get(), &count, sizeof count);
}

void EventLoop::runPostedTasks(std::size_t limit) {
    {
        std::lock_guard lock(mutex_);
        for (auto& task : pending_) taken_.push_back(std::move(task));
        pending_.clear();
    }
    for (std::size_t ran = 0; ran < limit && !taken_.empty(); ++ran) {
        Task task = std::move(taken_.front());
        taken_.pop_front();
        task();
    }
}

EventLoop::DeferredId EventLoop::deferToIterationEnd(Task task) {
    assertInLoop();
    DeferredId id = nextDeferredId_++;
    deferred_.push_back({id, std::move(task)});
    return id;
}

void EventLoop::cancelDeferred(DeferredId id) {
    assertInLoop();
    auto first = deferred_.begin() + static_cast<std::ptrdiff_t>(deferredRun_);
    auto it = std::lower_bound(first, deferred_.end(), id,
                               [](const Deferred& d, DeferredId wanted) { return d.id < wanted; });
    if (it != deferred_.end() && it->id == id) it->task = nullptr;
}

void EventLoop::runDeferred() {
    // One at a time, by index: a task may cancel later ones (a failed write closes and destroys
    // a connection) or defer new ones (the vector may grow and move), which then run in this
    // same pass.
    while (deferredRun_ < deferred_.size()) {
        Task task = std::move(deferred_[deferredRun_].task);
        deferred_[deferredRun_].task = nullptr;
        ++deferredRun_;
        if (task) task();
    }
    deferred_.clear();  // keeps its capacity for the next pass
    deferredRun_ = 0;
}

void EventLoop::watch(int fd, std::uint32_t events, IoCallback callback) {
    assertInLoop();
    std::uint32_t generation = nextGeneration_++;
    if (nextGeneration_ == 0) nextGeneration_ = 1;  // 0 would collide with the wake-up token
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = makeToken(fd, generation);
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) throwErrno("epoll_ctl(ADD)");
    watchers_[fd] = Watcher{generation, std::move(callback)};
}

void EventLoop::modify(int fd, std::uint32_t events) {
    assertInLoop();
    auto it = watchers_.find(fd);
    if (it == watchers_.end()) return;
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = makeToken(fd, it->second.generation);
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) < 0) throwErrno("epoll_ctl(MOD)");
}

void EventLoop::unwatch(int fd) {
    assertInLoop();
    if (watchers_.erase(fd) == 0) return;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::dispatch(std::uint64_t token, std::uint32_t events) {
    int fd = static_cast<int>(token & 0xffffffffu);
    auto it = watchers_.find(fd);
    if (it == watchers_.end() || it->second.generation != (token >> 32)) return;
    // Copy: the callback may unwatch its own fd, which destroys the stored std::function.
    IoCallback callback = it->second.callback;
    callback(events);
}

EventLoop::TimerId EventLoop::runAfter(Clock::duration delay, Task task) {
    assertInLoop();
    TimerId id = nextTimerId_++;
    auto deadline = Clock::now() + delay;
    timers_.emplace(TimerKey{deadline, id}, Timer{std::move(task), Clock::duration::zero()});
    timerDeadlines_.emplace(id, deadline);
    return id;
}

EventLoop::TimerId EventLoop::runEvery(Clock::duration interval, Task task) {
    assertInLoop();
    if (interval <= Clock::duration::zero()) throw std::invalid_argument("runEvery: interval <= 0");
    TimerId id = nextTimerId_++;
    auto deadline = Clock::now() + interval;
    timers_.emplace(TimerKey{deadline, id}, Timer{std::move(task), interval});
    timerDeadlines_.emplace(id, deadline);
    return id;
}

void EventLoop::cancel(TimerId id) {
    assertInLoop();
    auto it = timerDeadlines_.find(id);
    if (it == timerDeadlines_.end()) return;
    timers_.erase(TimerKey{it->second, id});
    timerDeadlines_.erase(it);
}

int EventLoop::nextTimeoutMs() const {
    {
        // A task posted from this thread (no wake-up written) must not wait for a timeout.
        std::lock_guard lock(mutex_);
        if (!pending_.empty()) return 0;
    }
    if (!taken_.empty()) return 0;  // more tasks to run after a look at the sockets
    if (timers_.empty()) return -1;
    auto wait = timers_.begin()->first.first - Clock::now();
    if (wait <= Clock::duration::zero()) return 0;
    // Round up so that we never wake just before the deadline and spin.
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
    return ms > 60'000 ? 60'000 : static_cast<int>(ms);
}

void EventLoop::runExpiredTimers() {
    auto now = Clock::now();
    while (!timers_.empty() && timers_.begin()->first.first <= now) {
        auto node = timers_.extract(timers_.begin());
        TimerId id = node.key().second;
        Timer& timer = node.mapped();
        if (timer.interval > Clock::duration::zero()) {
            auto next = now + timer.interval;
            timerDeadlines_[id] = next;
            Task task = timer.task;  // the task may cancel its own timer
            node.key() = TimerKey{next, id};
            timers_.insert(std::move(node));
            task();
        } else {
            timerDeadlines_.erase(id);
            timer.task();
        }
    }
}

}  // namespace sockchat::net
