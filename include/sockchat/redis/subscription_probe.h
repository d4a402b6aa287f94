#pragma once
// SubscriptionProbe: proves that a subscriber Connection still receives messages. hiredis 0.14
// cannot PING on a subscribed connection, so (as centrifugal/centrifuge does) every interval the
// probe PUBLISHes a fresh token on a probe channel through the command Connection; the subscriber
// is subscribed to that channel, and if the token has not come back within timeout of the
// server's PUBLISH reply, the subscription is stale (a stalled link, a server that forgot us):
// the probe calls subscriber.forceReconnect("subscription probe timed out").
//
// Loop thread only. Both Connections must outlive the probe.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "sockchat/net/event_loop.h"
#include "sockchat/redis/connection.h"

namespace sockchat::redis {

class SubscriptionProbe {
  public:
    struct Options {
        std::string channel;  // the owner's choice, e.g. "sockchat:probe:<node id>"
        std::chrono::milliseconds interval{1000};
        std::chrono::milliseconds timeout{1000};
    };

    // Subscribes `subscriber` to options.channel and starts probing.
    SubscriptionProbe(net::EventLoop& loop, Connection& publisher, Connection& subscriber,
                      Options options);
    SubscriptionProbe(const SubscriptionProbe&) = delete;
    SubscriptionProbe& operator=(const SubscriptionProbe&) = delete;
    ~SubscriptionProbe();  // unsubscribes the probe channel

    std::uint64_t probesAnswered() const { return answered_; }
    std::uint64_t probesTimedOut() const { return timedOut_; }

  private:
    void probe();
    void published(const std::string& token, const Reply& reply);
    void received(const std::string& payload);
    void expired(const std::string& token);

    net::EventLoop& loop_;
    Connection& publisher_;
    Connection& subscriber_;
    Options options_;
    std::string prefix_;  // makes tokens unique across probes sharing a channel
    std::uint64_t sequence_ = 0;
    std::string outstanding_;  // token published and not yet seen; empty when none
    net::EventLoop::TimerId ticker_ = 0;
    net::EventLoop::TimerId deadline_ = 0;
    std::uint64_t answered_ = 0;
    std::uint64_t timedOut_ = 0;
    // PUBLISH callbacks may outlive the probe (the publisher outlives it): they check this first.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sockchat::redis
