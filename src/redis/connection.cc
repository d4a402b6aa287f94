#include "sockchat/redis/connection.h"

#include <arpa/inet.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <sys/epoll.h>

#include <algorithm>
#include <cassert>
#include <stdexcept>

namespace sockchat::redis {

// One hiredis context and everything hiredis points at: ev.data, and the privdata of every
// command. hiredis may still call into it after the Connection is gone (redisAsyncFree() inside
// a reply callback only takes effect when that callback returns, and then runs the remaining
// callbacks with a NULL reply), so a Link outlives its owner until the loop's next turn.
struct Link {
    struct Pending {
        Connection::Callback callback;
        net::EventLoop::Clock::time_point deadline;
        bool internal;  // part of the handshake: not owed to the owner when the link is lost
    };

    Link(net::EventLoop& l, Connection* o) : loop(l), owner(o) {}

    net::EventLoop& loop;
    Connection* owner;  // null once the owner let go
    redisAsyncContext* context = nullptr;
    int fd = -1;
    std::uint32_t events = 0;
    bool watched = false;
    bool freeRequested = false;   // redisAsyncFree() called; hiredis tears down when it can
    bool closed = false;          // hiredis is tearing the context down: no more I/O
    std::string reason;           // why we dropped it, when we did
    std::deque<Pending> pending;  // regular commands, in the order hiredis will answer them

    // The first sign of teardown (a NULL reply or the cleanup hook, whichever hiredis runs
    // first) detaches the link from the loop and from hiredis's hooks, and tells the owner.
    void lose() {
        if (closed) return;
        closed = true;
        if (watched) loop.unwatch(fd);
        watched = false;
        // With the hooks gone, add/del calls made while the context is being freed are no-ops,
        // and so is a second cleanup (hiredis 1.x runs it from both __redisAsyncDisconnect and
        // __redisAsyncFree; 0.14.1 only from the latter).
        context->ev.addRead = context->ev.delRead = nullptr;
        context->ev.addWrite = context->ev.delWrite = nullptr;
        context->ev.cleanup = nullptr;
        if (owner == nullptr) return;
        std::string why = reason;
        if (why.empty()) why = context->err ? std::string(context->errstr) : "connection closed";
        owner->linkLost(why);
    }

    // Pub/sub traffic for the owner (Link is its friend; the C callbacks below are not).
    void message(const std::string& channel, const std::string& payload) {
        owner->onMessage(channel, payload);
    }
    void subscribed(const std::string& channel) { owner->onSubscribed(channel); }

    void setEvents(std::uint32_t wanted) {
        if (closed || wanted == events) return;
        events = wanted;
        if (!watched) {
            watched = true;
            // Raw pointer: the watch is removed in lose(), and the Link is only released on a
            // later loop turn, so it outlives every dispatch of this callback.
            loop.watch(fd, events, [this](std::uint32_t ready) { handleEvents(ready); });
        } else {
            loop.modify(fd, events);
        }
    }

    void handleEvents(std::uint32_t ready) {
        // A failed connect shows as EPOLLERR/EPOLLHUP: hiredis's read path reports it too.
        if (ready & (EPOLLIN | EPOLLERR | EPOLLHUP)) redisAsyncHandleRead(context);
        if (closed) return;  // the context may be freed by now
        if (ready & EPOLLOUT) redisAsyncHandleWrite(context);
    }
};

namespace {

Link* linkOf(void* privdata) {
    return static_cast<Link*>(privdata);
}

void addRead(void* p) {
    linkOf(p)->setEvents(linkOf(p)->events | EPOLLIN);
}
void delRead(void* p) {
    linkOf(p)->setEvents(linkOf(p)->events & ~std::uint32_t{EPOLLIN});
}
void addWrite(void* p) {
    linkOf(p)->setEvents(linkOf(p)->events | EPOLLOUT);
}
void delWrite(void* p) {
    linkOf(p)->setEvents(linkOf(p)->events & ~std::uint32_t{EPOLLOUT});
}
void cleanup(void* p) {
    linkOf(p)->lose();
}

// Regular command replies: hiredis answers in order, so each reply belongs to the oldest pending.
void onReply(redisAsyncContext*, void* r, void* privdata) {
    Link* link = linkOf(privdata);
    if (r == nullptr) {  // the context is being freed
        link->lose();
        return;
    }
    if (link->closed || link->pending.empty()) return;
    Link::Pending pending = std::move(link->pending.front());
    link->pending.pop_front();
    if (link->owner == nullptr) return;
    // Last statement: the callback may destroy the Connection (and ask hiredis to free this
    // context, which hiredis does once we return).
    pending.callback(Reply::fromHiredis(*static_cast<redisReply*>(r)));
}

// SUBSCRIBE confirmations and messages. hiredis keeps one such callback per channel and calls it
// with NULL for each channel when the context is freed.
void onSubscription(redisAsyncContext*, void* r, void* privdata) {
    Link* link = linkOf(privdata);
    if (r == nullptr) {
        link->lose();
        return;
    }
    if (link->closed || link->owner == nullptr) return;
    auto* reply = static_cast<redisReply*>(r);
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) return;
    const redisReply* kind = reply->element[0];
    const redisReply* channel = reply->element[1];
    if (kind->type != REDIS_REPLY_STRING || channel->type != REDIS_REPLY_STRING) return;
    std::string kindText(kind->str, kind->len);
    std::string channelText(channel->str, channel->len);
    if (kindText == "message") {
        const redisReply* payload = reply->element[2];
        if (payload->type != REDIS_REPLY_STRING) return;
        link->message(channelText, std::string(payload->str, payload->len));
    } else if (kindText == "subscribe") {
        link->subscribed(channelText);
    }
}

// redisAsyncCommandArgv over std::strings: lengths travel with the bytes, so NULs and CRLFs are
// just data.
bool sendArgv(redisAsyncContext* context, redisCallbackFn* fn, void* privdata,
              const std::vector<std::string>& argv) {
    std::vector<const char*> parts;
    std::vector<std::size_t> lengths;
    for (const auto& arg : argv) {
        parts.push_back(arg.data());
        lengths.push_back(arg.size());
    }
    return redisAsyncCommandArgv(context, fn, privdata, static_cast<int>(argv.size()), parts.data(),
                                 lengths.data()) == REDIS_OK;
}

bool isIpLiteral(const std::string& host) {
    unsigned char buf[sizeof(in6_addr)];
    return ::inet_pton(AF_INET, host.c_str(), buf) == 1 ||
           ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

Connection::Connection(net::EventLoop& loop, Options options)
    : loop_(loop), options_(std::move(options)), jitter_(std::random_device{}()) {
    if (auto* tcp = std::get_if<TcpTarget>(&options_.target); tcp && !isIpLiteral(tcp->host))
        throw std::invalid_argument("redis host must be an IP address: " + tcp->host);
}

Connection::~Connection() {
    if (destroyed_) *destroyed_ = true;
    loop_.cancel(connectTimer_);
    loop_.cancel(commandTimer_);
    loop_.cancel(reconnectTimer_);
    if (deliveryId_) loop_.cancelDeferred(deliveryId_);
    if (!link_) return;
    std::shared_ptr<Link> link = std::move(link_);
    link->owner = nullptr;
    if (!link->freeRequested) {
        link->freeRequested = true;
        // Frees now, or (inside one of this context's callbacks) when that callback returns.
        redisAsyncFree(link->context);
    }
    loop_.post([link] {});  // hiredis is done with the Link by the next turn of the loop
}

void Connection::start() {
    assert(loop_.inLoopThread());
    if (state_ == State::kConnecting && !link_ && !reconnectTimer_) connect();
}

void Connection::connect() {
    reconnectTimer_ = 0;
    if (options_.locate) {
        if (auto found = options_.locate()) {
            auto* tcp = std::get_if<TcpTarget>(&*found);
            if (!tcp || isIpLiteral(tcp->host)) options_.target = std::move(*found);
        }
    }
    redisAsyncContext* context = nullptr;
    if (auto* tcp = std::get_if<TcpTarget>(&options_.target))
        context = redisAsyncConnect(tcp->host.c_str(), tcp->port);
    else
        context = redisAsyncConnectUnix(std::get<UnixTarget>(options_.target).path.c_str());
    if (context == nullptr) {
        handleDown("connect failed: out of memory", {});
        return;
    }
    if (context->err) {  // e.g. a Unix socket path that does not exist fails at once
        std::string reason = "connect failed: " + std::string(context->errstr);
        redisAsyncFree(context);  // nothing attached yet: frees synchronously, no callbacks
        handleDown(reason, {});
        return;
    }
    link_ = std::make_shared<Link>(loop_, this);
    Link* link = link_.get();
    link->context = context;
    link->fd = context->c.fd;
    context->ev.data = link;
    context->ev.addRead = addRead;
    context->ev.delRead = delRead;
    context->ev.addWrite = addWrite;
    context->ev.delWrite = delWrite;
    context->ev.cleanup = cleanup;
    // The first write event tells that connect(2) finished; hiredis queues the handshake until
    // then.
    addWrite(link);
    connectTimer_ = loop_.runAfter(options_.connectTimeout, [this] {
        connectTimer_ = 0;
        dropLink("connect timed out");
    });

    if (!options_.password.empty()) {
        std::vector<std::string> auth{"AUTH"};
        if (!options_.username.empty()) auth.push_back(options_.username);
        auth.push_back(options_.password);
        send(auth, true, [this](Reply reply) { afterAuth(reply); });
    }
    if (!options_.name.empty()) send({"CLIENT", "SETNAME", options_.name}, true, [](Reply) {});
    // Always end the handshake with a reply: onUp then runs inside a hiredis reply callback,
    // where destroying the Connection is safe, and a subscriber only sends SUBSCRIBE (which
    // turns hiredis's reply routing to pub/sub) once AUTH is known to have passed.
    send({"PING"}, true, [this](Reply reply) { afterHandshake(reply); });
}

void Connection::afterAuth(const Reply& reply) {
    if (reply.isError()) dropLink("AUTH failed: " + reply.str());
}

void Connection::afterHandshake(const Reply& reply) {
    if (!link_ || link_->freeRequested) return;
    if (reply.isError()) {
        dropLink("handshake failed: " + reply.str());
        return;
    }
    if (options_.role == Role::kSubscriber && !channels_.empty()) {
        std::vector<std::string> all;
        resubscribing_.clear();
        for (const auto& [channel, handler] : channels_) {
            all.push_back(channel);
            resubscribing_.insert(channel);
        }
        if (!sendSubscribe(all)) dropLink("SUBSCRIBE refused");
        return;  // up once every channel is confirmed
    }
    becomeUp();
}

void Connection::onSubscribed(const std::string& channel) {
    if (state_ == State::kUp || resubscribing_.erase(channel) == 0) return;
    if (resubscribing_.empty()) becomeUp();
}

void Connection::onMessage(const std::string& channel, const std::string& payload) {
    auto it = channels_.find(channel);
    if (it == channels_.end()) return;
    MessageCallback handler = it->second;  // the handler may unsubscribe itself
    handler(channel, payload);
}

void Connection::becomeUp() {
    loop_.cancel(connectTimer_);
    connectTimer_ = 0;
    state_ = State::kUp;
    attempt_ = 0;
    downReported_ = false;
    if (onUp_) onUp_();  // last: the owner may destroy us here
}

bool Connection::send(const std::vector<std::string>& argv, bool internal, Callback cb) {
    if (!sendArgv(link_->context, onReply, link_.get(), argv)) return false;
    link_->pending.push_back(
        Link::Pending{std::move(cb), Clock::now() + options_.commandTimeout, internal});
    armCommandTimer();
    return true;
}

bool Connection::sendSubscribe(const std::vector<std::string>& channels) {
    std::vector<std::string> argv{"SUBSCRIBE"};
    argv.insert(argv.end(), channels.begin(), channels.end());
    return sendArgv(link_->context, onSubscription, link_.get(), argv);
}

void Connection::command(std::vector<std::string> argv, Callback cb) {
    assert(loop_.inLoopThread());
    const char* refusal = nullptr;
    if (options_.role == Role::kSubscriber)
        refusal = "a subscriber connection takes no commands";
    else if (state_ != State::kUp || !link_ || link_->freeRequested)
        refusal = "not connected";
    else if (!send(argv, false, cb))
        refusal = "not connected";
    if (refusal) deliverLater([cb = std::move(cb), refusal] { cb(Reply::error(refusal)); });
}

void Connection::subscribe(const std::string& channel, MessageCallback handler) {
    assert(loop_.inLoopThread());
    if (options_.role != Role::kSubscriber)
        throw std::logic_error("subscribe() on a connection made for commands");
    bool fresh = channels_.count(channel) == 0;
    channels_[channel] = std::move(handler);
    // While connecting, the handshake subscribes to every channel; while up, only the new one.
    if (fresh && state_ == State::kUp && link_ && !link_->freeRequested &&
        !sendSubscribe({channel}))
        dropLink("SUBSCRIBE refused");
}

void Connection::unsubscribe(const std::string& channel) {
    assert(loop_.inLoopThread());
    if (channels_.erase(channel) == 0) return;
    // A channel whose SUBSCRIBE is on the wire (up, or mid re-subscription) is unsubscribed on the
    // wire too. Its pending confirmation still counts towards onUp, so it stays in resubscribing_.
    bool sent = state_ == State::kUp || resubscribing_.count(channel) != 0;
    if (!sent || !link_ || link_->freeRequested) return;
    // No callback: hiredis routes the confirmation to the channel's SUBSCRIBE callback.
    sendArgv(link_->context, nullptr, nullptr, {"UNSUBSCRIBE", channel});
}

void Connection::forceReconnect(const std::string& reason) {
    assert(loop_.inLoopThread());
    dropLink(reason);
}

void Connection::dropLink(const std::string& reason) {
    if (!link_ || link_->freeRequested) return;
    link_->freeRequested = true;
    link_->reason = reason;
    // Outside hiredis this tears the link down right here (linkLost() runs before it returns);
    // inside one of its callbacks, when that callback returns.
    redisAsyncFree(link_->context);
}

void Connection::linkLost(const std::string& reason) {
    // Called from inside hiredis's teardown: no owner code here, only bookkeeping; the owner
    // hears about it at the end of the loop iteration.
    std::shared_ptr<Link> link = std::move(link_);
    link->owner = nullptr;
    loop_.post([link] {});  // hiredis still walks the Link until its teardown returns
    std::deque<Callback> failed;
    for (auto& pending : link->pending)
        if (!pending.internal) failed.push_back(std::move(pending.callback));
    link->pending.clear();
    handleDown(reason, std::move(failed));
}

void Connection::handleDown(const std::string& reason, std::deque<Callback> failed) {
    loop_.cancel(connectTimer_);
    loop_.cancel(commandTimer_);
    connectTimer_ = commandTimer_ = 0;
    resubscribing_.clear();
    state_ = State::kDown;
    bool report = !downReported_;
    downReported_ = true;
    for (auto& cb : failed)
        deliverLater(
            [cb = std::move(cb), reason] { cb(Reply::error("connection lost: " + reason)); });
    if (report)
        deliverLater([this, reason] {
            if (onDown_) onDown_(reason);
        });
    scheduleReconnect();
}

void Connection::scheduleReconnect() {
    using std::chrono::milliseconds;
    auto ceiling = options_.reconnectMin.count() << std::min(attempt_, 20);
    ceiling = std::clamp<milliseconds::rep>(
        ceiling, 1, std::max<milliseconds::rep>(1, options_.reconnectMax.count()));
    if (attempt_ < 20) ++attempt_;
    std::uniform_int_distribution<milliseconds::rep> pick(ceiling / 2, ceiling);
    reconnectTimer_ = loop_.runAfter(milliseconds(pick(jitter_)), [this] { connect(); });
}

void Connection::armCommandTimer() {
    if (commandTimer_ || !link_ || link_->pending.empty()) return;
    auto wait = link_->pending.front().deadline - Clock::now();
    commandTimer_ = loop_.runAfter(std::max(wait, Clock::duration::zero()), [this] {
        commandTimer_ = 0;
        checkCommandTimeout();
    });
}

void Connection::checkCommandTimeout() {
    if (!link_ || link_->pending.empty()) return;
    if (link_->pending.front().deadline <= Clock::now()) {
        dropLink("timeout");
        return;
    }
    armCommandTimer();  // the command it was armed for has been answered; watch the next one
}

void Connection::deliverLater(std::function<void()> task) {
    deliveries_.push_back(std::move(task));
    if (deliveryId_ == 0) deliveryId_ = loop_.deferToIterationEnd([this] { flushDeliveries(); });
}

void Connection::flushDeliveries() {
    bool destroyed = false;
    destroyed_ = &destroyed;
    while (!deliveries_.empty()) {
        auto task = std::move(deliveries_.front());
        deliveries_.pop_front();
        task();
        if (destroyed) return;  // the owner destroyed us from the callback
    }
    destroyed_ = nullptr;
    deliveryId_ = 0;
}

}  // namespace sockchat::redis
