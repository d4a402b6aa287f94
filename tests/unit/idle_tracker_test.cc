// The worker's IdleTracker (daemon/idle_tracker.cc): one timer for every connection, in order
// of activity. What is due is what has been idle for the timeout, wherever it is in the list.
#include "idle_tracker.h"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

namespace {

using namespace std::chrono_literals;
using sockchatd::IdleTracker;

struct Named : IdleTracker::Entry {
    char name;
};

TEST(IdleTracker, TheIdleAreDueWhileTheActiveAheadOfThemAreNot) {
    sockchat::net::EventLoop loop;
    std::vector<char> due;
    IdleTracker tracker(loop, [&](IdleTracker::Entry& e) {
        due.push_back(static_cast<Named&>(e).name);
        if (due.size() == 2) loop.quit();
    });
    tracker.setTimeout(60ms);
    Named active, idle1, idle2;
    active.name = 'a';
    idle1.name = 'b';
    idle2.name = 'c';
    loop.post([&] {
        // `active` heads the list and keeps being active; the two behind it go quiet.
        tracker.touch(active);
        tracker.touch(idle1);
        tracker.touch(idle2);
        loop.runEvery(10ms, [&] { tracker.touch(active); });
        loop.runAfter(5s, [&] { loop.quit(); });  // bound: the test fails below, not hangs
    });
    loop.run();
    EXPECT_EQ(due, (std::vector<char>{'b', 'c'}));
    EXPECT_TRUE(active.tracked());
    EXPECT_FALSE(idle1.tracked()) << "a due entry is untracked before it is handed over";
    tracker.untrack(active);
    tracker.setTimeout(0ms);
}

TEST(IdleTracker, AnEntryTouchedWhenDueIsKeptAndDueAgainLater) {
    sockchat::net::EventLoop loop;
    int calls = 0;
    Named e;
    IdleTracker tracker(loop, [&](IdleTracker::Entry& entry) {
        if (++calls == 1) return tracker.touch(entry);  // active after all (acked output)
        loop.quit();
    });
    tracker.setTimeout(20ms);
    loop.post([&] {
        tracker.touch(e);
        loop.runAfter(5s, [&] { loop.quit(); });
    });
    loop.run();
    EXPECT_EQ(calls, 2);
    tracker.setTimeout(0ms);
}

}  // namespace
