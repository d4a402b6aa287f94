#include "sockchat/net/event_loop.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using sockchat::net::EventLoop;
using namespace std::chrono_literals;

TEST(EventLoop, PostFromOtherThreadsRunsEveryTaskOnLoopThread) {
    EventLoop loop;
    std::thread::id loopThread;
    std::atomic<int> ran{0};
    constexpr int kThreads = 4, kPerThread = 1000;
    std::thread runner([&] {
        loopThread = std::this_thread::get_id();
        loop.run();
    });
    std::vector<std::thread> posters;
    std::atomic<int> wrongThread{0};
    for (int t = 0; t < kThreads; ++t)
        posters.emplace_back([&] {
            for (int i = 0; i < kPerThread; ++i)
                loop.post([&] {
                    if (!loop.inLoopThread()) ++wrongThread;
                    if (++ran == kThreads * kPerThread) loop.quit();
                });
        });
    for (auto& p : posters) p.join();
    runner.join();
    EXPECT_EQ(ran.load(), kThreads * kPerThread);
    EXPECT_EQ(wrongThread.load(), 0);
}

TEST(EventLoop, PostKeepsOrderFromOneThread) {
    EventLoop loop;
    std::vector<int> seen;
    for (int i = 0; i < 100; ++i) loop.post([&, i] { seen.push_back(i); });
    loop.post([&] { loop.quit(); });
    loop.run();
    ASSERT_EQ(seen.size(), 100u);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(seen[i], i);
}

TEST(EventLoop, TimersFireInDeadlineOrderAndCancelWorks) {
    EventLoop loop;
    std::vector<int> order;
    loop.runAfter(30ms, [&] { order.push_back(3); });
    loop.runAfter(10ms, [&] { order.push_back(1); });
    auto cancelled = loop.runAfter(20ms, [&] { order.push_back(99); });
    loop.runAfter(20ms, [&] { order.push_back(2); });
    loop.runAfter(40ms, [&] { loop.quit(); });
    loop.cancel(cancelled);
    auto start = EventLoop::Clock::now();
    loop.run();
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
    EXPECT_GE(EventLoop::Clock::now() - start, 40ms);  // never early
}

TEST(EventLoop, RepeatingTimerCanCancelItself) {
    EventLoop loop;
    int ticks = 0;
    EventLoop::TimerId id = 0;
    id = loop.runEvery(1ms, [&] {
        if (++ticks == 5) {
            loop.cancel(id);
            loop.runAfter(20ms, [&] { loop.quit(); });
        }
    });
    loop.run();
    EXPECT_EQ(ticks, 5);
}

TEST(EventLoop, WatchDeliversReadinessAndUnwatchStopsIt) {
    EventLoop loop;
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    sockchat::net::Fd a(sv[0]), b(sv[1]);
    int reads = 0;
    loop.watch(a.get(), EPOLLIN, [&](std::uint32_t events) {
        EXPECT_TRUE(events & EPOLLIN);
        char buf[16];
        while (::read(a.get(), buf, sizeof buf) > 0) {
        }
        ++reads;
        loop.unwatch(a.get());  // from inside its own callback
        // A second write must not be delivered any more.
        ASSERT_EQ(::write(b.get(), "y", 1), 1);
        loop.runAfter(20ms, [&] { loop.quit(); });
    });
    ASSERT_EQ(::write(b.get(), "x", 1), 1);
    loop.run();
    EXPECT_EQ(reads, 1);
    EXPECT_EQ(loop.watchedCount(), 0u);
}

// Deferred tasks run after the iteration's posted tasks (so a connection can gather a burst of
// room events into one write), in defer order, once; a cancelled one never runs, even when the
// cancel comes from an earlier deferred task of the same pass.
TEST(EventLoop, DeferredTasksRunAfterPostedTasksInOrderAndCancelWorks) {
    EventLoop loop;
    std::vector<std::string> seen;
    EventLoop::DeferredId victim = 0;
    loop.post([&] {
        loop.deferToIterationEnd([&] { seen.push_back("deferred 1"); });
        loop.deferToIterationEnd([&] {
            seen.push_back("deferred 2");
            loop.cancelDeferred(victim);
            loop.deferToIterationEnd([&] { seen.push_back("deferred from deferred"); });
        });
        victim = loop.deferToIterationEnd([&] { seen.push_back("cancelled"); });
        auto early = loop.deferToIterationEnd([&] { seen.push_back("cancelled early"); });
        loop.cancelDeferred(early);
        seen.push_back("task 1");
    });
    loop.post([&] { seen.push_back("task 2"); });
    loop.post([&] { loop.quit(); });
    loop.run();
    EXPECT_EQ(seen, (std::vector<std::string>{"task 1", "task 2", "deferred 1", "deferred 2",
                                              "deferred from deferred"}));
}

// A flood of posted tasks (room events for thousands of members) must not keep a socket that
// became ready waiting until the whole flood has run: a pass runs a bounded number of tasks, then
// the loop looks at its sockets again. Order among the tasks is kept.
TEST(EventLoop, AFloodOfPostedTasksLetsReadySocketsInBetween) {
    EventLoop loop;
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    sockchat::net::Fd a(sv[0]), b(sv[1]);
    constexpr int kTasks = 10'000;
    std::vector<int> order;
    int tasksBeforeIo = -1;
    loop.watch(a.get(), EPOLLIN, [&](std::uint32_t) {
        tasksBeforeIo = static_cast<int>(order.size());
        loop.unwatch(a.get());
    });
    loop.post([&] {
        for (int i = 0; i < kTasks; ++i)
            loop.post([&, i] {
                order.push_back(i);
                if (i == 0) {  // the socket is ready from now on
                    [[maybe_unused]] auto n = ::write(b.get(), "x", 1);
                }
                if (i == kTasks - 1) loop.quit();
            });
    });
    loop.run();
    ASSERT_EQ(order.size(), static_cast<std::size_t>(kTasks));
    for (int i = 0; i < kTasks; ++i) ASSERT_EQ(order[i], i);
    EXPECT_GE(tasksBeforeIo, 1);
    EXPECT_LT(tasksBeforeIo, 1000) << "the ready socket waited for the whole flood";
}
