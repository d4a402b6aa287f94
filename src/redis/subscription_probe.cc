#include "sockchat/redis/subscription_probe.h"

#include <random>

namespace sockchat::redis {

SubscriptionProbe::SubscriptionProbe(net::EventLoop& loop, Connection& publisher,
                                     Connection& subscriber, Options options)
    : loop_(loop),
      publisher_(publisher),
      subscriber_(subscriber),
      options_(std::move(options)),
      prefix_(std::to_string(std::random_device{}()) + ":") {
    subscriber_.subscribe(options_.channel, [this](const std::string&, const std::string& payload) {
        received(payload);
    });
    ticker_ = loop_.runEvery(options_.interval, [this] { probe(); });
}

SubscriptionProbe::~SubscriptionProbe() {
    *alive_ = false;
    loop_.cancel(ticker_);
    loop_.cancel(deadline_);
    subscriber_.unsubscribe(options_.channel);
}

void SubscriptionProbe::probe() {
    // One probe at a time, and only across two live links: a down subscriber is reconnecting
    // already, and a down publisher says nothing about the subscription.
    if (!outstanding_.empty() || !publisher_.isUp() || !subscriber_.isUp()) return;
    std::string token = prefix_ + std::to_string(++sequence_);
    outstanding_ = token;
    std::weak_ptr<bool> alive = alive_;
    publisher_.command({"PUBLISH", options_.channel, token}, [this, alive, token](Reply reply) {
        if (auto a = alive.lock(); a && *a) published(token, reply);
    });
}

void SubscriptionProbe::published(const std::string& token, const Reply& reply) {
    if (outstanding_ != token) return;  // already came back (the two links race)
    if (reply.isError()) {
        outstanding_.clear();  // the publisher's trouble, not the subscriber's: try next round
        return;
    }
    // Timed from the server's answer, so a slow publisher link cannot fail the subscriber.
    deadline_ = loop_.runAfter(options_.timeout, [this, token] {
        deadline_ = 0;
        expired(token);
    });
}

void SubscriptionProbe::received(const std::string& payload) {
    if (payload != outstanding_) return;  // a late token, or another probe's
    outstanding_.clear();
    ++answered_;
    loop_.cancel(deadline_);
    deadline_ = 0;
}

void SubscriptionProbe::expired(const std::string& token) {
    if (outstanding_ != token) return;
    outstanding_.clear();
    ++timedOut_;
    subscriber_.forceReconnect("subscription probe timed out");
}

}  // namespace sockchat::redis
