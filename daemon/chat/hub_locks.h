#pragma once
// The chat hub's locks (LocalChatBackend), with mutrace's figures: how often a thread found the
// lock taken and how long it waited. The uncontended path is the plain lock (one try_lock); only
// a thread that has to wait pays for the clock and the two counters, so counting costs nothing
// where there is no contention and shows exactly where there is.
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <system_error>

namespace sockchatd {

// What the locks of one kind have waited, in total (relaxed counters: figures, not sync).
struct LockContention {
    std::atomic<std::uint64_t> waits{0};
    std::atomic<std::uint64_t> waitNanoseconds{0};

    template <typename TryLock, typename Lock>
    void lockCounted(TryLock&& tryLock, Lock&& lock) {
        if (tryLock()) return;
        auto start = std::chrono::steady_clock::now();
        lock();
        auto waited = std::chrono::steady_clock::now() - start;
        waits.fetch_add(1, std::memory_order_relaxed);
        waitNanoseconds.fetch_add(
            static_cast<std::uint64_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(waited).count()),
            std::memory_order_relaxed);
    }
};

// A mutex that reports its waits to a LockContention shared by its kind (every room's lock).
class CountedMutex {
  public:
    explicit CountedMutex(LockContention& contention) : contention_(contention) {}
    CountedMutex(const CountedMutex&) = delete;
    CountedMutex& operator=(const CountedMutex&) = delete;

    void lock() {
        contention_.lockCounted([this] { return mutex_.try_lock(); },
                                [this] { return mutex_.lock(), true; });
    }
    void unlock() { mutex_.unlock(); }

  private:
    std::mutex mutex_;
    LockContention& contention_;
};

// A readers-writer lock that lets a waiting writer in before new readers. glibc's default (and
// so std::shared_mutex's) prefers readers: with messages flowing on every worker the read side
// is almost never free, and a join (a writer) could wait for as long as the room is busy.
class CountedSharedMutex {
  public:
    explicit CountedSharedMutex(LockContention& contention) : contention_(contention) {
        pthread_rwlockattr_t attr;
        pthread_rwlockattr_init(&attr);
        pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
        int error = pthread_rwlock_init(&lock_, &attr);
        pthread_rwlockattr_destroy(&attr);
        if (error != 0) throw std::system_error(error, std::generic_category(), "rwlock");
    }
    ~CountedSharedMutex() { pthread_rwlock_destroy(&lock_); }
    CountedSharedMutex(const CountedSharedMutex&) = delete;
    CountedSharedMutex& operator=(const CountedSharedMutex&) = delete;

    void lock() {
        contention_.lockCounted([this] { return pthread_rwlock_trywrlock(&lock_) == 0; },
                                [this] { return pthread_rwlock_wrlock(&lock_), true; });
    }
    void unlock() { pthread_rwlock_unlock(&lock_); }
    void lock_shared() {
        contention_.lockCounted([this] { return pthread_rwlock_tryrdlock(&lock_) == 0; },
                                [this] { return pthread_rwlock_rdlock(&lock_), true; });
    }
    void unlock_shared() { pthread_rwlock_unlock(&lock_); }

  private:
    pthread_rwlock_t lock_;
    LockContention& contention_;
};

}  // namespace sockchatd
