#pragma once
// Worker: one thread, one EventLoop, and the connections it accepted. A connection lives and
// dies on its worker, so connection state needs no locks. Other threads reach a worker only
// through the thread-safe members below, which post to its loop.
#include <atomic>
#include <cstdint>
#include <functional>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "chat/chat_service.h"
#include "connection.h"
#include "connection_limiter.h"
#include "echo_service.h"
#include "fd_reserve.h"
#include "idle_tracker.h"
#include "listen_socket.h"
#include "report_throttle.h"
#include "sockchat/log/logger.h"
#include "sockchat/net/event_loop.h"
#include "worker_stats.h"

namespace sockchatd {

class Worker;

// Daemon-wide objects every worker uses; all members are thread-safe.
struct WorkerShared {
    sockchat::log::Logger& logger;
    ConnectionLimiter& limiter;
    ChatBackend& chat;
    std::atomic<std::uint64_t> nextConnectionId{0};
    std::atomic<std::uint64_t> acceptedTotal{0};
    std::atomic<std::uint64_t> refusedTotal{0};
    // Refusals over a limit and out-of-fds on accept are logged at most once per second
    // daemon-wide, whichever worker sees them, with a count of those held back.
    ReportThrottle refusalReports{std::chrono::seconds(1)};
    ReportThrottle fdExhaustionReports{std::chrono::seconds(1)};
    std::atomic<std::uint64_t> fdRefusalsUnreported{0};  // told `server full` since that report
    FdReserve fdReserve{};
    // Every worker, set before any starts and never changed after: an accepting worker hands a
    // newcomer to the least loaded one (see Worker::placeConnection).
    std::vector<Worker*> workers = {};
};

// Per-worker copy of the settings that a reload may change.
struct WorkerSettings {
    ConnectionLimits limits;
    std::string echoPrefix;
    ChatSettings chat;
};

class Worker {
  public:
    Worker(unsigned index, WorkerShared& shared, WorkerSettings settings);
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;
    ~Worker();  // stops and joins

    // Starts the thread; `ready` is counted down once the loop watches every listener.
    void start(std::vector<ListenSocket*> listeners, std::latch& ready);

    // Thread-safe. Stop accepting and let listeners go (onListenersReleased runs on this worker's
    // thread once it no longer watches them), then close every connection gracefully;
    // onDrained runs on this thread when the last one is gone.
    void startShutdown(std::function<void()> onListenersReleased, std::function<void()> onDrained);
    // Thread-safe: closes whatever is left right now (shutdown_timeout expired).
    void forceCloseAll();
    // Thread-safe: applies new settings to new and existing connections.
    void applySettings(WorkerSettings settings);
    // Thread-safe: accept from `added` too and stop watching `removed` (a reload). The caller
    // keeps both alive until a task posted after this one has run.
    void changeListeners(std::vector<ListenSocket*> added, std::vector<ListenSocket*> removed);
    // Thread-safe: runs task on this worker's thread (e.g. a watchdog heartbeat).
    void post(sockchat::net::EventLoop::Task task) { loop_.post(std::move(task)); }
    // Thread-safe: ends the loop and joins the thread.
    void stop();

    // Thread-safe snapshot for status reports.
    std::size_t connectionCount() const { return connectionCount_.load(); }
    const WorkerStats& stats() const { return stats_; }

    // The admin socket's views and actions (worker_admin.cc). Thread-safe: each runs on this
    // worker's thread and calls `done` there, with what this worker has.
    struct ClientInfo {
        std::string id, peer, service, listener;
        std::optional<ChatService::SessionInfo> chat;  // chat clients only
        double connectedSeconds = 0;
        std::uint64_t bytesIn = 0, bytesOut = 0, outputQueued = 0;
    };
    void listClients(std::function<void(std::vector<ClientInfo>)> done);
    // Per listener name: this worker's open connections.
    void countByListener(std::function<void(std::map<std::string, std::size_t>)> done);
    // Closes the client with this id (e.g. "c7") or chat nick (any case), telling a chat client
    // why; done gets {id, nick} of the one kicked, if it was here.
    struct Kicked {
        std::string id, nick;
    };
    void kick(std::string target, std::string reason,
              std::function<void(std::vector<Kicked>)> done);
    // An operator's notice to a room's members ("" = every chat client) or to one client (id or
    // nick); done gets how many got it here.
    void noticeRoom(std::string room, std::string text, std::function<void(std::size_t)> done);
    void noticeClient(std::string target, std::string text, std::function<void(std::size_t)> done);
    unsigned index() const { return index_; }

  private:
    void watchListeners();
    void unwatchListeners();
    void onAcceptable(ListenSocket& listener);
    void acceptOne(ListenSocket& listener, sockchat::net::Fd fd,
                   const sockchat::net::SocketAddress& peer);
    // A newcomer past the limits, with what its worker needs from the listener (copied: the
    // listener may be gone by the time another worker adopts it).
    struct Accepted {
        sockchat::net::Fd fd;
        sockchat::net::SocketAddress peer;
        std::uint8_t limiterPrefixLength;  // see Connection::limiterKey
        sockchat::config::Service service;
        std::shared_ptr<const std::string> listenerName;
        std::shared_ptr<const sockchat::tls::ServerContext> tls;
    };
    // The worker with the fewest connections (this one on a tie) gets it.
    void placeConnection(Accepted accepted);
    // Thread-safe: queues a newcomer for this worker's loop.
    void handOver(Accepted accepted);
    void adoptHandedOver();
    void adopt(Accepted accepted);
    // Connections here plus those handed to this worker and not adopted yet.
    std::size_t load() const { return connectionCount_.load() + incoming_.load(); }
    void pauseAccepting();
    // Short of fds: accepts one newcomer through the shared reserve fd (keeps it if fds came
    // back, else tells it the server is full). False when the batch should end.
    bool acceptThroughReserve(ListenSocket& listener);
    void reportFdExhaustion(int error, const ListenSocket& listener, bool pausing);
    Service& serviceFor(sockchat::config::Service service);
    void onConnectionClosed(Connection& conn);
    void checkDrained();
    Connection* findClient(const std::string& target);

    unsigned index_;
    WorkerShared& shared_;
    WorkerSettings settings_;
    sockchat::net::EventLoop loop_;
    std::thread thread_;

    std::vector<ListenSocket*> listeners_;
    bool accepting_ = false;
    sockchat::net::EventLoop::TimerId resumeAcceptTimer_ = 0;

    WorkerStats stats_;
    EchoService echo_;
    ChatService chat_;
    // Before connections_: every connection is in it until destroyed.
    IdleTracker idle_;
    // Before connections_: every connection refers to it.
    ConnectionHost connectionHost_;
    std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
    std::atomic<std::size_t> connectionCount_{0};
    std::atomic<std::size_t> incoming_{0};  // handed over by other workers, not adopted yet
    std::mutex handedOverMutex_;
    std::vector<Accepted> handedOver_;  // guarded by handedOverMutex_

    bool shuttingDown_ = false;
    std::function<void()> onDrained_;
};

}  // namespace sockchatd
