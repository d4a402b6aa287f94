#include "server.h"

#include <fmt/format.h>
#include <sched.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <latch>
#include <thread>

#include "sockchat/config/loader.h"
#include "sockchat/net/socket.h"
#include "socket_activation.h"
#include "tls_listeners.h"

namespace sockchatd {

using sockchat::log::Field;
using namespace std::chrono_literals;

namespace {

constexpr int kListenBacklog = 1024;
constexpr auto kStatusInterval = 5s;

sockchat::net::Fd makeSignalFd() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    // Blocked before any worker starts, so every thread inherits the mask and the signals are
    // only ever seen as events on the control loop.
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    return sockchat::net::Fd(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
}

unsigned workerCount(unsigned configured) {
    if (configured > 0) return configured;
    // The CPUs this process may run on (taskset, systemd's CPUAffinity=, a container's cpuset),
    // not every CPU of the machine: more workers than that only contend.
    cpu_set_t allowed;
    if (::sched_getaffinity(0, sizeof allowed, &allowed) == 0) {
        int cpus = CPU_COUNT(&allowed);
        if (cpus > 0) return static_cast<unsigned>(cpus);
    }
    unsigned cpus = std::thread::hardware_concurrency();
    return cpus > 0 ? cpus : 1;
}

ConnectionLimiter::Limits limiterLimits(const sockchat::config::Limits& limits) {
    return {limits.max_connections, limits.max_connections_per_ip, limits.ipv6_prefix_length};
}

}  // namespace

Server::Server(sockchat::config::Config config, std::string configPath,
               sockchat::log::Logger& logger)
    : config_(std::move(config)),
      configPath_(std::move(configPath)),
      logger_(logger),
      limiter_(limiterLimits(config_.limits)),
      chat_(makeChatBackend(config_, logger_)),
      shared_{logger_, limiter_, *chat_.backend} {
    logger_.setClientEventBudget(config_.logging.client_events_per_second);
}

Server::~Server() {
    for (auto& worker : workers_) worker->stop();
}

WorkerSettings Server::workerSettings() const {
    ChatSettings chat;
    chat.defaultRoom = config_.chat.default_room;
    chat.history = config_.chat.history;
    chat.motd = config_.chat.motd;
    chat.partialLineTimeout = config_.chat.partial_line_timeout;
    chat.maxLineBytes = config_.limits.max_line_bytes;
    chat.messagesPerSecond = config_.limits.messages_per_second;
    chat.burst = config_.limits.burst;
    chat.maxRoomsPerClient = config_.limits.max_rooms_per_client;
    chat.idleTimeout = config_.limits.idle_timeout;
    chat.presenceLimit = config_.chat.presence_limit;
    return WorkerSettings{
        ConnectionLimits{config_.limits.output_buffer_bytes, config_.limits.idle_timeout},
        config_.echo.prefix, std::move(chat)};
}

namespace {

std::unique_ptr<ListenSocket> makeListenSocket(sockchat::net::Fd fd,
                                               sockchat::config::Service service) {
    auto listener = std::make_unique<ListenSocket>();
    listener->address = sockchat::net::localAddress(fd.get());
    listener->name = std::make_shared<const std::string>(listener->address.toString());
    listener->service = service;
    listener->fd = std::move(fd);
    return listener;
}

// A listener's identity across reloads: its socket. Its tls block may come, go or change (a
// new certificate path) without rebinding. Port 0 (tests) binds a new ephemeral port for each
// entry, so entries that differ in whether they speak TLS are different sockets.
bool sameSocket(const sockchat::config::Listener& a, const sockchat::config::Listener& b) {
    if (a.service != b.service || !(a.address == b.address)) return false;
    return a.address.port() != 0 || a.tls.has_value() == b.tls.has_value();
}

std::string cannotListen(const sockchat::config::Listener& wanted, int error) {
    return "cannot listen on " + wanted.address.toString() + " (" +
           sockchat::config::serviceName(wanted.service) + "): " + std::strerror(error);
}

}  // namespace

void Server::installTlsContexts(const std::vector<TlsLoaded>& loaded) {
    for (auto& l : listeners_) {
        std::shared_ptr<const sockchat::tls::ServerContext> context;
        for (const auto& [wanted, ctx] : loaded) {
            // A socket systemd passed has no entry of its own: the config's entry with its
            // address says whether it speaks TLS.
            const bool mine = l->configured
                                  ? sameSocket(wanted, *l->configured)
                                  : wanted.service == l->service && wanted.address == l->address;
            if (mine) context = ctx;
        }
        if (!context && !l->tls.load()) continue;
        l->tls.store(context);
        if (context)
            logger_.info("tls", "certificate loaded",
                         {{"listener", *l->name},
                          {"certificate", context->settings().certificate},
                          {"subject", context->subject()},
                          {"serial", context->serial()},
                          {"not_after", context->notAfter()}});
    }
}

ListenSocket& Server::adoptListener(sockchat::net::Fd fd, sockchat::config::Service service) {
    listeners_.push_back(makeListenSocket(std::move(fd), service));
    return *listeners_.back();
}

bool Server::passedBySystemd(sockchat::config::Service service) const {
    return std::any_of(listeners_.begin(), listeners_.end(), [service](const auto& l) {
        return l->service == service && !l->configured;
    });
}

void Server::logListening(const ListenSocket& l) {
    logger_.info("listen", "",
                 {{"listener", *l.name},
                  {"service", sockchat::config::serviceName(l.service)},
                  {"port", static_cast<unsigned>(l.address.port())},
                  {"tls", l.tls.load() != nullptr}});
}

bool Server::prepareListenerChange(const sockchat::config::Config& next,
                                   std::vector<std::unique_ptr<ListenSocket>>* added,
                                   std::vector<ListenSocket*>* removed, std::string* error) const {
    auto bound = [this](const sockchat::config::Listener& wanted) {
        return std::any_of(listeners_.begin(), listeners_.end(), [&](const auto& l) {
            return l->configured && sameSocket(*l->configured, wanted);
        });
    };
    for (const auto& wanted : next.listen) {
        if (passedBySystemd(wanted.service) || bound(wanted)) continue;
        int errorNumber = 0;
        sockchat::net::Fd fd =
            sockchat::net::listenTcp(wanted.address, kListenBacklog, &errorNumber);
        if (!fd) {
            *error = cannotListen(wanted, errorNumber);
            added->clear();  // closes what this reload bound so far
            return false;
        }
        added->push_back(makeListenSocket(std::move(fd), wanted.service));
        added->back()->configured = wanted;
    }
    for (const auto& l : listeners_)
        if (l->configured &&
            std::none_of(next.listen.begin(), next.listen.end(),
                         [&](const auto& w) { return sameSocket(w, *l->configured); }))
            removed->push_back(l.get());
    return true;
}

int Server::bindListeners() {
    // Certificates and keys first: a bad one is a config error (78) before anything is bound.
    std::string tlsError;
    auto tls = loadTlsContexts(config_, &tlsError);
    if (!tls) {
        std::fprintf(stderr, "sockchatd: %s\n", tlsError.c_str());
        return kExitConfig;
    }
    // Sockets from systemd first: they replace the config's listeners of their service.
    auto passed = takeSystemdSockets();
    if (!passed.error.empty()) {
        std::fprintf(stderr, "sockchatd: %s\n", passed.error.c_str());
        return kExitConfig;
    }
    for (auto& socket : passed.sockets) {
        adoptListener(std::move(socket.fd), socket.service);
    }
    for (const auto& wanted : config_.listen) {
        if (passedBySystemd(wanted.service)) continue;
        int error = 0;
        sockchat::net::Fd fd = sockchat::net::listenTcp(wanted.address, kListenBacklog, &error);
        if (!fd) {
            std::fprintf(stderr, "sockchatd: %s\n", cannotListen(wanted, error).c_str());
            return kExitOsError;
        }
        adoptListener(std::move(fd), wanted.service).configured = wanted;
    }
    installTlsContexts(*tls);
    return kExitOk;
}

void Server::startWorkers() {
    unsigned count = workerCount(config_.threads);
    std::latch ready(count);
    std::vector<ListenSocket*> listeners;
    for (auto& l : listeners_) listeners.push_back(l.get());
    for (unsigned i = 0; i < count; ++i) {
        workers_.push_back(std::make_unique<Worker>(i, shared_, workerSettings()));
        shared_.workers.push_back(workers_.back().get());
    }
    // Only once every worker exists: the first accept may hand a newcomer to any of them.
    for (auto& worker : workers_) worker->start(listeners, ready);
    ready.wait();
}

int Server::run() {
    signalFd_ = makeSignalFd();
    if (!signalFd_) {
        std::fprintf(stderr, "sockchatd: signalfd: %s\n", std::strerror(errno));
        return kExitOsError;
    }
    if (!chat_.error.empty()) {
        std::fprintf(stderr, "sockchatd: %s\n", chat_.error.c_str());
        return kExitConfig;
    }
    if (int rc = bindListeners(); rc != kExitOk) return rc;
    if (int rc = startMetrics(); rc != kExitOk) return rc;
    if (int rc = startAdmin(); rc != kExitOk) return rc;
    startWorkers();
    // Chat is paused until the cluster link is up; echo and the rest serve at once.
    if (chat_.cluster) {
        chat_.cluster->setFatalHandler([this](const std::string& why) {
            control_.post([this, why] {
                logger_.error("cluster", why, {{"state", "down"}, {"reason", why}});
                exitCode_ = kExitConfig;
                if (!shuttingDown_) beginShutdown("cluster.node in use");
            });
        });
        chat_.cluster->start();
    }

    for (const auto& l : listeners_) logListening(*l);
    logger_.info("start", "sockchatd " SOCKCHAT_VERSION " ready",
                 {{"workers", static_cast<unsigned>(workers_.size())},
                  {"config", configPath_.empty() ? std::string("(embedded default)") : configPath_},
                  {"pid", static_cast<long>(::getpid())}});

    control_.watch(signalFd_.get(), EPOLLIN, [this](std::uint32_t) { onSignal(); });
    control_.runEvery(kStatusInterval, [this] { reportStatus(); });
    // The held-back summary of per-client events comes even when the flood has stopped.
    control_.runEvery(std::chrono::seconds(1), [this] {
        logger_.reportHeldBack();
        releaseMemoryIfClientsLeft();
    });
    startWatchdog();
    notifier_.ready();
    reportStatus();
    control_.run();

    for (auto& worker : workers_) worker->stop();
    // The last clients' quits reach Redis, so their nicks are free now, not after nick_ttl.
    if (chat_.cluster) chat_.cluster->stop(std::chrono::seconds(1));
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - shutdownStarted_);
    logger_.info("shutdown", shutdownTimedOut_ ? "stopped (shutdown_timeout expired)" : "stopped",
                 {{"connections_total", shared_.acceptedTotal.load()},
                  {"refused_total", shared_.refusedTotal.load()},
                  {"forced", shutdownTimedOut_ ? "yes" : "no"},
                  {"shutdown_ms", static_cast<long long>(elapsed.count())}});
    logger_.flush();
    return exitCode_;
}

void Server::onSignal() {
    signalfd_siginfo info{};
    while (::read(signalFd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        switch (info.ssi_signo) {
            case SIGHUP:
                reload();
                break;
            case SIGTERM:
            case SIGINT:
                if (shuttingDown_) {
                    // The operator insists: stop now, without waiting for slow peers.
                    logger_.warn("shutdown", "second signal, exiting at once",
                                 {{"signal", strsignal(static_cast<int>(info.ssi_signo))}});
                    logger_.flush();
                    std::_Exit(kExitOk);
                }
                beginShutdown(strsignal(static_cast<int>(info.ssi_signo)));
                break;
            default:
                break;
        }
    }
}

void Server::beginShutdown(const char* why) {
    shuttingDown_ = true;
    shutdownStarted_ = std::chrono::steady_clock::now();
    notifier_.stopping();
    std::size_t open = 0;
    for (auto& worker : workers_) open += worker->connectionCount();
    logger_.info("shutdown", "shutting down",
                 {{"reason", why},
                  {"connections", open},
                  {"timeout_ms", static_cast<long long>(config_.shutdown_timeout.count())}});
    for (auto& worker : workers_) {
        worker->startShutdown(
            [this] {
                control_.post([this] {
                    // Every worker has let go of the listeners: close them now so
                    // new clients are refused by the kernel, not left waiting.
                    if (++workersReleased_ == workers_.size()) listeners_.clear();
                });
            },
            [this] { control_.post([this] { onWorkerDrained(); }); });
    }
    shutdownTimer_ = control_.runAfter(config_.shutdown_timeout, [this] {
        shutdownTimer_ = 0;
        shutdownTimedOut_ = true;
        logger_.warn("shutdown", "shutdown_timeout expired, closing remaining connections", {});
        for (auto& worker : workers_) worker->forceCloseAll();
    });
}

void Server::onWorkerDrained() {
    if (++workersDrained_ < workers_.size()) return;
    if (shutdownTimer_) control_.cancel(shutdownTimer_);
    control_.quit();
}

void Server::reload(std::function<void(const ReloadOutcome&)> done) {
    if (shuttingDown_) {
        if (done) done({"the daemon is shutting down", {}, {}});
        return;
    }
    if (done) reloadWaiters_.push_back(std::move(done));
    reloadOutcome_ = {};
    notifier_.reloading();
    if (configPath_.empty()) {
        logger_.info("reload", "running on the embedded default config: nothing to reload", {});
        finishReload("");
        return;
    }
    auto loaded = sockchat::config::loadConfigFile(configPath_);
    if (!loaded.config) {
        logger_.error("reload", "new config rejected, keeping the running one",
                      {{"reason", loaded.error->toString()}});
        finishReload(loaded.error->toString());
        return;
    }
    sockchat::config::Config next = std::move(*loaded.config);
    // Said before the settings that need a restart are put back to the running ones below.
    for (auto& change : sockchat::config::diffConfigs(config_, next)) {
        bool restart = change.key == "threads" || change.key == "chat.default_room" ||
                       change.key == "logging.format" || change.key == "logging.sink" ||
                       change.key.starts_with("admin.") || change.key.starts_with("metrics.") ||
                       change.key.starts_with("cluster.");
        (restart ? reloadOutcome_.restartNeeded : reloadOutcome_.changes).push_back(change);
    }
    // Certificates are read again on every reload, changed or not: that is how a renewed
    // certificate (certbot) reaches new connections. A bad one rejects the reload, like a bad
    // line in the file, and the running certificate stays.
    std::string tlsError;
    auto tls = loadTlsContexts(next, &tlsError);
    if (!tls) {
        logger_.error("reload", "new config rejected, keeping the running one",
                      {{"reason", tlsError}});
        finishReload(tlsError);
        return;
    }
    // Bind what is new before changing anything, so a port in use rejects the whole reload.
    std::vector<std::unique_ptr<ListenSocket>> added;
    std::vector<ListenSocket*> removed;
    std::string bindError;
    if (!prepareListenerChange(next, &added, &removed, &bindError)) {
        logger_.error("reload", "new config rejected, keeping the running one",
                      {{"reason", bindError}});
        finishReload(bindError);
        return;
    }
    if (next.threads != config_.threads)
        logger_.warn("reload", "threads changed: restart needed to apply it", {});
    if (next.metrics != config_.metrics || next.admin != config_.admin)
        logger_.warn("reload", "metrics or admin address changed: restart needed to apply it", {});
    if (next.logging.format != config_.logging.format || next.logging.sink != config_.logging.sink)
        logger_.warn("reload", "logging.format or logging.sink changed: restart needed to apply it",
                     {});
    if (next.cluster != config_.cluster)
        logger_.warn("reload", "cluster.* changed: restart needed to apply it", {});
    next.threads = config_.threads;
    next.cluster = config_.cluster;
    next.logging.format = config_.logging.format;
    next.logging.sink = config_.logging.sink;
    next.metrics = config_.metrics;
    next.admin = config_.admin;
    if (auto level = sockchat::log::parseLevel(next.logging.level)) logger_.setLevel(*level);
    logger_.setClientEventBudget(next.logging.client_events_per_second);
    limiter_.setLimits(limiterLimits(next.limits));
    chat_.backend->setHistory(next.chat.history);
    chat_.backend->setHistoryBudget(next.chat.history_bytes);
    if (next.chat.default_room != config_.chat.default_room)
        logger_.warn("reload", "chat.default_room changed: restart needed to apply it", {});
    next.chat.default_room = config_.chat.default_room;
    config_ = std::move(next);
    // READY=1 only once every worker has applied the new settings: the service manager (and
    // whoever ran `systemctl reload`) may rely on the reload being complete.
    std::vector<ListenSocket*> addedRaw;
    for (auto& l : added) {
        addedRaw.push_back(l.get());
        listeners_.push_back(std::move(l));
    }
    // Before the workers see new listeners: a TLS listener must never accept as plain text.
    for (auto& l : listeners_)
        if (l->configured)
            for (const auto& wanted : config_.listen)
                if (sameSocket(wanted, *l->configured)) l->configured = wanted;
    installTlsContexts(*tls);
    for (ListenSocket* l : addedRaw) logListening(*l);
    auto pending = std::make_shared<std::size_t>(workers_.size());
    for (auto& worker : workers_) {
        worker->applySettings(workerSettings());
        worker->changeListeners(addedRaw, removed);
        worker->post([this, pending, removed] {
            control_.post([this, pending, removed] {
                if (--*pending > 0) return;
                // No worker watches them any more: close them (their connections stay).
                for (ListenSocket* gone : removed) {
                    auto it = std::find_if(listeners_.begin(), listeners_.end(),
                                           [gone](const auto& l) { return l.get() == gone; });
                    if (it == listeners_.end()) continue;  // shutdown closed them all meanwhile
                    logger_.info("reload", "stopped listening", {{"listener", *(*it)->name}});
                    listeners_.erase(it);
                }
                logger_.info("reload", "configuration reloaded", {{"config", configPath_}});
                finishReload("");
            });
        });
    }
}

int Server::startMetrics() {
    if (config_.metrics.address.empty()) return kExitOk;
    auto address = sockchat::net::SocketAddress::parse(config_.metrics.address);
    metrics_ =
        std::make_unique<MetricsServer>(control_, logger_, [this] { return renderMetrics(); });
    int error = 0;
    if (!address || !metrics_->listen(*address, &error)) {
        std::fprintf(stderr, "sockchatd: cannot listen on %s (metrics): %s\n",
                     config_.metrics.address.c_str(), std::strerror(error));
        return kExitOsError;
    }
    logger_.info("listen", "",
                 {{"listener", metrics_->address().toString()},
                  {"service", "metrics"},
                  {"port", static_cast<unsigned>(metrics_->address().port())}});
    return kExitOk;
}

std::string Server::renderMetrics() const {
    auto uptime =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    // Totals over the workers' own counters (WorkerStats).
    std::array<std::int64_t, 2> open{};
    std::uint64_t bytesIn = 0, bytesOut = 0, messages = 0;
    std::array<std::uint64_t, kDropReasons.size()> dropped{};
    std::uint64_t tlsHandshakes = 0;
    std::array<std::uint64_t, kTlsFailureReasons.size()> tlsFailures{};
    for (const auto& w : workers_) {
        const WorkerStats& s = w->stats();
        for (std::size_t i = 0; i < open.size(); ++i) open[i] += s.open[i].load();
        bytesIn += s.bytesIn.load(std::memory_order_relaxed);
        bytesOut += s.bytesOut.load(std::memory_order_relaxed);
        messages += s.chatMessages.load(std::memory_order_relaxed);
        for (std::size_t i = 0; i < kDropReasons.size(); ++i)
            dropped[i] += s.dropped[i].load(std::memory_order_relaxed);
        tlsHandshakes += s.tlsHandshakes.load(std::memory_order_relaxed);
        for (std::size_t i = 0; i < kTlsFailureReasons.size(); ++i)
            tlsFailures[i] += s.tlsFailures[i].load(std::memory_order_relaxed);
    }
    std::string out;
    auto family = [&out](const char* name, const char* type, const char* help) {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    };
    auto sample = [&out](const char* name, const std::string& labels, const std::string& value) {
        out += std::string(name) + (labels.empty() ? "" : "{" + labels + "}") + " " + value + "\n";
    };
    auto metric = [&](const char* name, const char* type, const char* help,
                      const std::string& value) {
        family(name, type, help);
        sample(name, "", value);
    };
    family("sockchatd_build_info", "gauge", "Always 1; the version is a label.");
    sample("sockchatd_build_info", "version=\"" SOCKCHAT_VERSION "\"", "1");
    family("sockchatd_connections", "gauge", "Open client connections, by service.");
    sample("sockchatd_connections", "service=\"echo\"", std::to_string(open[0]));
    sample("sockchatd_connections", "service=\"chat\"", std::to_string(open[1]));
    metric("sockchatd_connections_accepted_total", "counter", "Client connections accepted.",
           std::to_string(shared_.acceptedTotal.load()));
    metric("sockchatd_connections_refused_total", "counter",
           "Client connections refused by a connection limit.",
           std::to_string(shared_.refusedTotal.load()));
    family("sockchatd_connections_dropped_total", "counter",
           "Client connections the daemon closed, by reason.");
    for (std::size_t i = 0; i < kDropReasons.size(); ++i)
        sample("sockchatd_connections_dropped_total",
               "reason=\"" + std::string(kDropReasons[i]) + "\"", std::to_string(dropped[i]));
    metric("sockchatd_tls_handshakes_total", "counter",
           "TLS handshakes completed on TLS listeners.", std::to_string(tlsHandshakes));
    family("sockchatd_tls_handshake_failures_total", "counter",
           "TLS handshakes that failed, by reason.");
    for (std::size_t i = 0; i < kTlsFailureReasons.size(); ++i)
        sample("sockchatd_tls_handshake_failures_total",
               "reason=\"" + std::string(kTlsFailureReasons[i]) + "\"",
               std::to_string(tlsFailures[i]));
    metric("sockchatd_received_bytes_total", "counter", "Bytes read from clients.",
           std::to_string(bytesIn));
    metric("sockchatd_sent_bytes_total", "counter", "Bytes written to clients.",
           std::to_string(bytesOut));
    metric("sockchatd_chat_messages_total", "counter",
           "Chat messages and actions posted to rooms on this daemon.", std::to_string(messages));
    metric("sockchatd_chat_rooms", "gauge", "Chat rooms this daemon knows.",
           std::to_string(chat_.backend->roomCount()));
    metric("sockchatd_workers", "gauge", "Worker threads.", std::to_string(workers_.size()));
    // How evenly the workers share the clients: one busy worker among idle ones is a ceiling.
    family("sockchatd_worker_connections", "gauge", "Open client connections, by worker.");
    for (const auto& w : workers_)
        sample("sockchatd_worker_connections", "worker=\"" + std::to_string(w->index()) + "\"",
               std::to_string(w->connectionCount()));
    metric("sockchatd_uptime_seconds", "gauge", "Seconds since start.", std::to_string(uptime));
    if (chat_.cluster) {
        const auto& c = chat_.cluster->stats();
        metric("sockchatd_cluster_up", "gauge", "1 while the link to the cluster's Redis is up.",
               c.up ? "1" : "0");
        metric("sockchatd_cluster_link_downs_total", "counter", "Times the cluster link went down.",
               std::to_string(c.linkDowns.load()));
        metric("sockchatd_cluster_gaps_repaired_total", "counter",
               "Gaps in a room's events filled from its Redis stream.",
               std::to_string(c.gapsRepaired.load()));
        metric("sockchatd_cluster_events_lost_total", "counter",
               "Room events missed that the Redis stream no longer had.",
               std::to_string(c.eventsLost.load()));
        metric("sockchatd_cluster_resyncs_total", "counter",
               "Rooms started over because Redis lost their history (a new epoch).",
               std::to_string(c.resyncs.load()));
        metric("sockchatd_cluster_nick_conflicts_total", "counter",
               "Nicks found taken elsewhere after the link came back.",
               std::to_string(c.nickConflicts.load()));
        out +=
            "# HELP sockchatd_cluster_publish_seconds Round trip of a chat event's publish "
            "script to Redis.\n# TYPE sockchatd_cluster_publish_seconds histogram\n";
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i <= c.kBuckets; ++i) {
            cumulative += c.publishBuckets[i].load();
            std::string le = i < c.kBuckets ? fmt::format("{}", c.kPublishBucketsMs[i] / 1000)
                                            : std::string("+Inf");
            out += "sockchatd_cluster_publish_seconds_bucket{le=\"" + le + "\"} " +
                   std::to_string(cumulative) + "\n";
        }
        out += "sockchatd_cluster_publish_seconds_sum " +
               fmt::format("{}", static_cast<double>(c.publishMicros.load()) / 1e6) +
               "\nsockchatd_cluster_publish_seconds_count " +
               std::to_string(c.publishCount.load()) + "\n";
    }
    return out;
}

void Server::startWatchdog() {
    auto interval = notifier_.watchdogInterval();
    if (!interval) return;
    // Ping at a quarter of the interval: a round that is slow once still lands in time.
    auto period = std::max<std::chrono::steady_clock::duration>(*interval / 4, 10ms);
    logger_.info("watchdog", "watchdog enabled",
                 {{"interval_ms",
                   static_cast<long long>(
                       std::chrono::duration_cast<std::chrono::milliseconds>(*interval).count())}});
    control_.runEvery(period, [this] {
        if (heartbeatPending_) return;  // a worker has not answered the last round: stay silent
        heartbeatPending_ = true;
        heartbeatAnswers_ = 0;
        std::uint64_t round = ++heartbeatRound_;
        for (auto& worker : workers_)
            worker->post(
                [this, round] { control_.post([this, round] { onHeartbeatAnswer(round); }); });
    });
}

void Server::onHeartbeatAnswer(std::uint64_t round) {
    if (round != heartbeatRound_ || ++heartbeatAnswers_ < workers_.size()) return;
    heartbeatPending_ = false;
    notifier_.watchdog();
}

void Server::finishReload(const std::string& error) {
    lastReloadError_ = error;
    notifier_.ready();
    reportStatus();
    reloadOutcome_.error = error;
    if (!error.empty()) {  // nothing of it was applied
        reloadOutcome_.changes.clear();
        reloadOutcome_.restartNeeded.clear();
    }
    for (auto& waiter : std::exchange(reloadWaiters_, {})) waiter(reloadOutcome_);
}

void Server::releaseMemoryIfClientsLeft() {
    std::size_t open = 0;
    for (const auto& worker : workers_) open += worker->connectionCount();
    if (auto released = memoryReleaser_.observe(open))
        logger_.debug("memory", "clients left: free memory given back to the system",
                      {{"connections", open},
                       {"heap_before", released->heapBefore},
                       {"heap_after", released->heapAfter}});
}

void Server::reportStatus() {
    std::size_t clients = 0;
    for (auto& worker : workers_) clients += worker->connectionCount();
    std::size_t rooms = chat_.backend->roomCount();
    std::string status = std::to_string(clients) + (clients == 1 ? " client, " : " clients, ") +
                         std::to_string(rooms) + (rooms == 1 ? " room" : " rooms");
    // Kept until a reload succeeds, so `systemctl status` shows that the file on disk is not
    // what runs.
    if (auto link = chat_.backend->linkStatus(); !link.empty()) status += "; " + link;
    if (!lastReloadError_.empty()) status += "; last reload failed: " + lastReloadError_;
    notifier_.status(status);
}

}  // namespace sockchatd
