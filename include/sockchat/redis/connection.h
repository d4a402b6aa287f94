#pragma once
// Connection: one Redis connection driven by our EventLoop through hiredis's async API. It
// connects without blocking, authenticates, reconnects with jittered backoff after any loss, and
// completes every command callback exactly once: with the reply, or with an error reply when the
// link is lost, stuck (commandTimeout) or down. Loop thread only.
//
// A subscriber Connection (Role::kSubscriber) carries no commands, only SUBSCRIBE traffic: it
// remembers its channels and subscribes to all of them again after each reconnect, before it
// reports onUp, so that the owner can repair whatever it missed while down.
//
// Destroying a Connection is safe at any time, even inside one of its own callbacks: nothing is
// called back after the destructor, and hiredis's context is released once hiredis lets go.
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "sockchat/net/event_loop.h"
#include "sockchat/redis/reply.h"

namespace sockchat::redis {

struct Link;

struct TcpTarget {
    std::string host;  // an IPv4 or IPv6 literal: names would block the loop in getaddrinfo()
    std::uint16_t port = 6379;
};
struct UnixTarget {
    std::string path;
};
using Target = std::variant<TcpTarget, UnixTarget>;

class Connection {
  public:
    using Callback = std::function<void(Reply)>;
    using MessageCallback =
        std::function<void(const std::string& channel, const std::string& payload)>;
    using UpCallback = std::function<void()>;
    using DownCallback = std::function<void(const std::string& reason)>;

    enum class Role { kCommands, kSubscriber };

    struct Options {
        Target target = TcpTarget{"127.0.0.1", 6379};
        // When set, asked before every connect attempt where to connect now (e.g. the master
        // that Sentinel names after a failover); nullopt keeps the last target. It runs on the
        // loop thread and may block briefly. A TCP host it returns must be an IP literal.
        std::function<std::optional<Target>()> locate;
        Role role = Role::kCommands;
        // AUTH username password when username is set (an ACL user), AUTH password otherwise.
        // Never logged, never part of a reason.
        std::string username;
        std::string password;
        std::string name;  // CLIENT SETNAME, when set
        // From connect() to up (TCP connect, AUTH, re-subscription).
        std::chrono::milliseconds connectTimeout{2000};
        // The oldest unanswered command may wait this long before the link counts as stuck.
        std::chrono::milliseconds commandTimeout{2000};
        // Reconnect delay: reconnectMin doubling to reconnectMax, each picked at random in
        // [delay/2, delay] so that many daemons do not reconnect in step.
        std::chrono::milliseconds reconnectMin{100};
        std::chrono::milliseconds reconnectMax{5000};
    };

    // Throws std::invalid_argument for a TCP host that is not an IP literal.
    Connection(net::EventLoop& loop, Options options);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    // Set before start(). onDown fires once per transition to down (and once if the very first
    // connect fails), with a reason such as "AUTH failed: WRONGPASS ..." or "timeout".
    void setUpCallback(UpCallback cb) { onUp_ = std::move(cb); }
    void setDownCallback(DownCallback cb) { onDown_ = std::move(cb); }

    // Starts connecting; afterwards the Connection keeps itself connected until destroyed.
    void start();
    bool isUp() const { return state_ == State::kUp; }

    // Sends argv (binary safe) and calls cb with the reply. Replies come in command order. While
    // down (or on a subscriber) cb gets an error reply at the end of this loop iteration, never
    // from inside command().
    void command(std::vector<std::string> argv, Callback cb);

    // Subscriber role only (std::logic_error otherwise). The handler gets every message on channel;
    // subscribe() on a channel already subscribed just replaces its handler. Both may be called
    // while down.
    void subscribe(const std::string& channel, MessageCallback handler);
    void unsubscribe(const std::string& channel);
    bool isSubscribed(const std::string& channel) const { return channels_.count(channel) != 0; }

    // Drops the current link (pending callbacks fail with "connection lost: <reason>", onDown)
    // and reconnects with backoff. A no-op while already down.
    void forceReconnect(const std::string& reason);

  private:
    friend struct Link;
    enum class State { kConnecting, kUp, kDown };
    using Clock = net::EventLoop::Clock;

    void connect();
    // internal: part of the handshake, not owed to the owner if the link is lost.
    bool send(const std::vector<std::string>& argv, bool internal, Callback cb);
    bool sendSubscribe(const std::vector<std::string>& channels);
    void afterHandshake(const Reply& reply);
    void afterAuth(const Reply& reply);
    void onSubscribed(const std::string& channel);
    void onMessage(const std::string& channel, const std::string& payload);
    void becomeUp();
    void dropLink(const std::string& reason);
    void linkLost(const std::string& reason);
    void handleDown(const std::string& reason, std::deque<Callback> failed);
    void scheduleReconnect();
    void armCommandTimer();
    void checkCommandTimeout();
    void deliverLater(std::function<void()> task);
    void flushDeliveries();

    net::EventLoop& loop_;
    Options options_;
    UpCallback onUp_;
    DownCallback onDown_;

    State state_ = State::kConnecting;
    bool downReported_ = false;   // onDown already fired for the current down period
    std::shared_ptr<Link> link_;  // the hiredis context of the current attempt, if any

    std::map<std::string, MessageCallback> channels_;
    std::set<std::string> resubscribing_;  // confirmations still awaited before onUp

    net::EventLoop::TimerId connectTimer_ = 0;
    net::EventLoop::TimerId commandTimer_ = 0;
    net::EventLoop::TimerId reconnectTimer_ = 0;
    int attempt_ = 0;
    std::minstd_rand jitter_;

    // Callbacks owed to the owner that must not run inside hiredis or inside command(): they run
    // in order at the end of the loop iteration.
    std::deque<std::function<void()>> deliveries_;
    net::EventLoop::DeferredId deliveryId_ = 0;
    bool* destroyed_ = nullptr;  // set while flushDeliveries() runs owner code
};

}  // namespace sockchat::redis
