#include "worker.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "sockchat/net/socket.h"

namespace sockchatd {

using sockchat::log::Field;
using namespace std::chrono_literals;

namespace {
// Accept at most this many per readiness event so one listener cannot monopolise a worker.
constexpr int kAcceptBatch = 64;
// After running out of fds, stop accepting this long: the backlog keeps the newcomers waiting
// and the loop does not spin on a listener that stays readable.
constexpr auto kAcceptPause = 100ms;

}  // namespace

Worker::Worker(unsigned index, WorkerShared& shared, WorkerSettings settings)
    : index_(index),
      shared_(shared),
      settings_(std::move(settings)),
      echo_(settings_.echoPrefix),
      chat_(loop_, shared.chat, settings_.chat, shared.logger, stats_),
      idle_(loop_, [](IdleTracker::Entry& idle) { static_cast<Connection&>(idle).onIdleDue(); }),
      connectionHost_{loop_,
                      idle_,
                      shared.logger,
                      stats_,
                      [this](Connection& conn) { onConnectionClosed(conn); },
                      settings_.limits} {
    idle_.setTimeout(settings_.limits.idle_timeout);
}

Worker::~Worker() {
    stop();
}

void Worker::start(std::vector<ListenSocket*> listeners, std::latch& ready) {
    listeners_ = std::move(listeners);
    thread_ = std::thread([this] {
        // "worker-3" in top -H, ps -L and gdb: which loop is busy or stuck.
        std::string name = "worker-" + std::to_string(index_);
        ::pthread_setname_np(::pthread_self(), name.c_str());
        loop_.run();  // first iteration runs the task below
        // Connections must die on this thread: they unwatch themselves from this loop.
        connections_.clear();
        connectionCount_ = 0;
        idle_.setTimeout(std::chrono::milliseconds(0));  // its timer goes with this loop
    });
    loop_.post([this, &ready] {
        watchListeners();
        ready.count_down();
    });
}

void Worker::stop() {
    if (!thread_.joinable()) return;
    loop_.quit();
    thread_.join();
}

void Worker::watchListeners() {
    if (accepting_) return;
    for (ListenSocket* listener : listeners_) {
        // EPOLLEXCLUSIVE: one new connection wakes one worker, not all of them.
        loop_.watch(listener->fd.get(), EPOLLIN | EPOLLEXCLUSIVE,
                    [this, listener](std::uint32_t) { onAcceptable(*listener); });
    }
    accepting_ = true;
}

void Worker::unwatchListeners() {
    if (!accepting_) return;
    for (ListenSocket* listener : listeners_) loop_.unwatch(listener->fd.get());
    accepting_ = false;
}

void Worker::onAcceptable(ListenSocket& listener) {
    for (int i = 0; i < kAcceptBatch && accepting_; ++i) {
        if (shared_.fdReserve.isShort()) {
            if (!acceptThroughReserve(listener)) return;
            continue;
        }
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        // Through the reserve's lock: see FdReserve.
        int fd =
            shared_.fdReserve.accept(listener.fd.get(), reinterpret_cast<sockaddr*>(&ss), &len);
        if (fd < 0) {
            int error = errno;
            if (error == EAGAIN || error == EWOULDBLOCK) return;
            if (error == EINTR || error == ECONNABORTED || error == EPROTO) continue;
            if (error == EMFILE || error == ENFILE) {
                shared_.fdReserve.markShort();  // the next pass goes through the reserve
                continue;
            }
            if (error == ENOBUFS || error == ENOMEM) {
                reportFdExhaustion(error, listener, true);
                pauseAccepting();
                return;
            }
            shared_.logger.error("accept", std::strerror(error), {{"listener", *listener.name}});
            pauseAccepting();
            return;
        }
        acceptOne(
            listener, sockchat::net::Fd(fd),
            sockchat::net::SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&ss), len));
    }
}

void Worker::acceptOne(ListenSocket& listener, sockchat::net::Fd fd,
                       const sockchat::net::SocketAddress& peer) {
    Service& service = serviceFor(listener.service);
    std::uint8_t limiterPrefixLength = shared_.limiter.ipv6PrefixLength();
    std::string limiterKey = ConnectionLimiter::keyFor(peer, limiterPrefixLength);
    auto verdict = shared_.limiter.tryAcquire(limiterKey);
    if (verdict != ConnectionLimiter::Verdict::accepted) {
        const char* reason = verdict == ConnectionLimiter::Verdict::tooManyTotal
                                 ? "max_connections reached"
                                 : "max_connections_per_ip reached";
        ++shared_.refusedTotal;
        if (auto heldBack = shared_.refusalReports.occurred())
            shared_.logger.warn("limit", "connection refused",
                                {{"peer", peer.toString()},
                                 {"listener", *listener.name},
                                 {"reason", reason},
                                 {"suppressed", *heldBack}});
        // A TLS client could not read a plain-text line: it just sees the connection close.
        if (auto line = service.refusalLine(reason); line && !listener.tls.load())
            sockchat::net::sendNoSignal(fd.get(), line->data(), line->size());
        return;  // fd closes here
    }
    ++shared_.acceptedTotal;
    placeConnection({std::move(fd), peer, limiterPrefixLength, listener.service, listener.name,
                     listener.tls.load()});
}

void Worker::placeConnection(Accepted accepted) {
    // EPOLLEXCLUSIVE wakes whichever worker is idle, and a woken worker accepts a whole batch:
    // left alone, a burst of newcomers lands on one worker while the others idle (200 chat
    // clients all on worker 0, in the fan-out bench). So the accepting worker only accepts, and
    // the connection lives on the least loaded worker (muduo's acceptor handing connections to
    // its I/O loops), at the cost of one post when the load is uneven.
    Worker* target = this;
    std::size_t least = load();
    for (Worker* w : shared_.workers) {
        std::size_t l = w->load();
        if (l < least) {
            least = l;
            target = w;
        }
    }
    if (target == this) {
        adopt(std::move(accepted));
        return;
    }
    target->handOver(std::move(accepted));
}

void Worker::handOver(Accepted accepted) {
    // A queue, not a task per newcomer: a burst costs one wake-up, and the fd needs no
    // shared_ptr to ride in a copyable task. Left unadopted at shutdown, it closes with the worker.
    ++incoming_;
    bool wasEmpty;
    {
        std::lock_guard lock(handedOverMutex_);
        wasEmpty = handedOver_.empty();
        handedOver_.push_back(std::move(accepted));
    }
    if (wasEmpty) loop_.post([this] { adoptHandedOver(); });
}

void Worker::adoptHandedOver() {
    std::vector<Accepted> batch;
    {
        std::lock_guard lock(handedOverMutex_);
        batch.swap(handedOver_);
    }
    for (Accepted& accepted : batch) {
        --incoming_;
        adopt(std::move(accepted));
    }
}

void Worker::adopt(Accepted accepted) {
    // A chat line or an echo answer is one small write that someone waits for: Nagle would hold
    // it until the peer's delayed ACK (tens of ms). Connection batches each loop iteration's
    // output into one write instead.
    int one = 1;
    ::setsockopt(accepted.fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Service& service = serviceFor(accepted.service);
    auto conn = std::make_unique<Connection>(
        connectionHost_, std::move(accepted.fd), ++shared_.nextConnectionId, accepted.peer,
        accepted.limiterPrefixLength, std::move(accepted.listenerName), service,
        accepted.tls.get());
    Connection* raw = conn.get();
    connections_.emplace(raw, std::move(conn));
    connectionCount_ = connections_.size();
    stats_.open[static_cast<std::size_t>(accepted.service)] += 1;
    raw->start();
    if (shuttingDown_) raw->beginGracefulClose();
}

void Worker::onConnectionClosed(Connection& conn) {
    stats_.open[&conn.service() == &static_cast<Service&>(chat_) ? 1 : 0] -= 1;
    shared_.limiter.release(conn.limiterKey());
    // Destroy later: we are inside one of the connection's own callbacks.
    loop_.post([this, ptr = &conn] {
        connections_.erase(ptr);
        connectionCount_ = connections_.size();
        checkDrained();
    });
}

bool Worker::acceptThroughReserve(ListenSocket& listener) {
    auto line = listener.tls.load()
                    ? std::nullopt
                    : serviceFor(listener.service).refusalLine("out of file descriptors");
    auto outcome = shared_.fdReserve.acceptOne(listener.fd.get(), line ? *line : "");
    using Kind = FdReserve::Outcome::Kind;
    switch (outcome.kind) {
        case Kind::kept:
            acceptOne(listener, std::move(outcome.fd), outcome.peer);
            return true;
        case Kind::refused:
            ++shared_.refusedTotal;
            ++shared_.fdRefusalsUnreported;
            reportFdExhaustion(EMFILE, listener, false);
            return true;
        case Kind::none:
            return false;
        case Kind::failed:
            reportFdExhaustion(outcome.error, listener, true);
            pauseAccepting();
            return false;
    }
    return false;
}

void Worker::reportFdExhaustion(int error, const ListenSocket& listener, bool pausing) {
    if (!shared_.fdExhaustionReports.occurred()) return;
    // Every newcomer refused since the last report, by any worker.
    std::uint64_t refused = shared_.fdRefusalsUnreported.exchange(0);
    shared_.logger.error("limit",
                         pausing ? "cannot accept: out of file descriptors, pausing accept"
                                 : "out of file descriptors: refusing newcomers",
                         {{"listener", *listener.name},
                          {"reason", std::strerror(error)},
                          {"worker", index_},
                          {"refused", refused}});
}

void Worker::pauseAccepting() {
    unwatchListeners();
    if (resumeAcceptTimer_) return;
    resumeAcceptTimer_ = loop_.runAfter(kAcceptPause, [this] {
        resumeAcceptTimer_ = 0;
        if (!shuttingDown_) watchListeners();
    });
}

Service& Worker::serviceFor(sockchat::config::Service service) {
    return service == sockchat::config::Service::chat ? static_cast<Service&>(chat_)
                                                      : static_cast<Service&>(echo_);
}

void Worker::startShutdown(std::function<void()> onListenersReleased,
                           std::function<void()> onDrained) {
    loop_.post([this, released = std::move(onListenersReleased), drained = std::move(onDrained)] {
        shuttingDown_ = true;
        onDrained_ = drained;
        unwatchListeners();
        if (resumeAcceptTimer_) loop_.cancel(resumeAcceptTimer_);
        resumeAcceptTimer_ = 0;
        released();
        std::vector<Connection*> all;
        for (auto& [ptr, _] : connections_) all.push_back(ptr);
        for (Connection* conn : all) conn->beginGracefulClose();
        checkDrained();
    });
}

void Worker::forceCloseAll() {
    loop_.post([this] {
        std::vector<Connection*> all;
        for (auto& [ptr, _] : connections_) all.push_back(ptr);
        for (Connection* conn : all) conn->close("shutdown timeout");
    });
}

void Worker::checkDrained() {
    if (!shuttingDown_ || !connections_.empty() || !onDrained_) return;
    auto drained = std::move(onDrained_);
    onDrained_ = nullptr;
    drained();
}

void Worker::changeListeners(std::vector<ListenSocket*> added, std::vector<ListenSocket*> removed) {
    loop_.post([this, added = std::move(added), removed = std::move(removed)] {
        // While paused (out of fds) or shutting down nothing is watched; the resume timer
        // watches the new set.
        bool watching = accepting_;
        unwatchListeners();
        std::erase_if(listeners_, [&](ListenSocket* l) {
            return std::find(removed.begin(), removed.end(), l) != removed.end();
        });
        listeners_.insert(listeners_.end(), added.begin(), added.end());
        if (watching) watchListeners();
    });
}

void Worker::applySettings(WorkerSettings settings) {
    loop_.post([this, settings = std::move(settings)] {
        settings_ = settings;
        echo_.setPrefix(settings_.echoPrefix);
        chat_.applySettings(settings_.chat);
        connectionHost_.limits = settings_.limits;
        for (auto& [ptr, _] : connections_) ptr->onLimitsChanged();
        idle_.setTimeout(settings_.limits.idle_timeout);
    });
}

}  // namespace sockchatd
