#pragma once
// Test harness for redis::Connection: an EventLoop on a thread of its own (Connections are
// loop-thread objects), a thread-safe record of what the Connections reported, and bounded waits
// on it. Nothing sleeps: every wait polls a condition variable up to a deadline.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "redis_server.h"
#include "sockchat/net/event_loop.h"
#include "sockchat/redis/connection.h"

namespace sockchat::testing {

using namespace std::chrono_literals;
using redis::Connection;
using redis::Reply;

// RedisServer options from a few assignments (GCC warns about partial designated initializers).
inline RedisServer::Options serverWith(const std::function<void(RedisServer::Options&)>& set) {
    RedisServer::Options o;
    set(o);
    return o;
}

class LoopThread {
  public:
    // The loop outlives the thread: quit() may still be writing to its wake-up fd when run()
    // returns, so it is destroyed only after join().
    LoopThread() : thread_([this] { loop_.run(); }) {}
    ~LoopThread() {
        loop_.quit();
        thread_.join();
    }
    net::EventLoop& loop() { return loop_; }

    // Runs f on the loop thread and returns its result (bounded).
    template <class F>
    auto call(F f) -> decltype(f()) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto result = task.get_future();
        loop_.post([&task] { task(); });
        if (result.wait_for(10s) != std::future_status::ready) {
            ADD_FAILURE() << "loop thread did not run the task in time";
            std::abort();  // the task refers to this frame: it must not run after we return
        }
        return result.get();
    }

  private:
    net::EventLoop loop_;
    std::thread thread_;
};

// What the Connections said, in order, as text: "up", "down: <reason>", "reply: ...".
class Events {
  public:
    void add(std::string event) {
        std::lock_guard lock(mutex_);
        events_.push_back(std::move(event));
        changed_.notify_all();
    }
    std::vector<std::string> all() const {
        std::lock_guard lock(mutex_);
        return events_;
    }
    std::size_t count(const std::string& prefix) const {
        std::lock_guard lock(mutex_);
        return countLocked(prefix);
    }
    // Waits until `n` events start with prefix.
    bool waitCount(const std::string& prefix, std::size_t n,
                   std::chrono::milliseconds timeout = 5s) const {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return countLocked(prefix) >= n; });
    }
    std::string dump() const {
        std::string out;
        for (const auto& e : all()) out += "  " + e + "\n";
        return out;
    }

  private:
    std::size_t countLocked(const std::string& prefix) const {
        std::size_t n = 0;
        for (const auto& e : events_)
            if (e.rfind(prefix, 0) == 0) ++n;
        return n;
    }
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::vector<std::string> events_;
};

// Base fixture: Connections made here report to events (prefixed by their tag) and are destroyed
// on the loop thread before the loop stops.
class RedisTest : public ::testing::Test {
  protected:
    ~RedisTest() override {
        loop.call([this] {
            connections_.clear();
            return 0;
        });
    }

    static Connection::Options options(const RedisServer& server) {
        Connection::Options o;
        o.target = server.target();
        o.connectTimeout = 1000ms;
        o.commandTimeout = 2000ms;
        o.reconnectMin = 20ms;
        o.reconnectMax = 200ms;
        return o;
    }

    // Creates, hooks up and starts a Connection on the loop thread.
    Connection& make(Connection::Options o, const std::string& tag = "") {
        return *loop.call([&] {
            auto c = std::make_unique<Connection>(loop.loop(), o);
            c->setUpCallback([this, tag] { events.add(tag + "up"); });
            c->setDownCallback(
                [this, tag](const std::string& r) { events.add(tag + "down: " + r); });
            c->start();
            connections_.push_back(std::move(c));
            return connections_.back().get();
        });
    }

    void destroy(Connection& c) {
        loop.call([&] {
            std::erase_if(connections_, [&](const auto& p) { return p.get() == &c; });
            return 0;
        });
    }

    // Sends argv and waits (bounded) for its reply.
    Reply run(Connection& c, std::vector<std::string> argv,
              std::chrono::milliseconds timeout = 5s) {
        auto promise = std::make_shared<std::promise<Reply>>();
        auto future = promise->get_future();
        loop.call([&] {
            c.command(std::move(argv), [promise](Reply r) { promise->set_value(std::move(r)); });
            return 0;
        });
        if (future.wait_for(timeout) != std::future_status::ready)
            return Reply::error("TEST: no reply in time");
        return future.get();
    }

    // Sends argv and records its reply as "<tag>reply: <describe>".
    void send(Connection& c, std::vector<std::string> argv, const std::string& tag) {
        loop.call([&] {
            c.command(std::move(argv),
                      [this, tag](Reply r) { events.add(tag + "reply: " + r.describe()); });
            return 0;
        });
    }

    // Loop thread only.
    std::vector<std::unique_ptr<Connection>>& connections() { return connections_; }

    LoopThread loop;
    Events events;

  private:
    std::vector<std::unique_ptr<Connection>> connections_;
};

}  // namespace sockchat::testing
