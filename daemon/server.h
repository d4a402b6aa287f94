#pragma once
// Server: assembles the daemon. Binds the listeners, starts the workers, runs the control loop
// on the calling thread (signals, reload, status, shutdown), and returns the exit code.
#include <signal.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "admin/admin_server.h"
#include "admin/admin_socket.h"
#include "chat/make_chat_backend.h"
#include "connection_limiter.h"
#include "listen_socket.h"
#include "memory_release.h"
#include "metrics_server.h"
#include "sockchat/config/config.h"
#include "sockchat/config/diff.h"
#include "sockchat/log/logger.h"
#include "sockchat/net/event_loop.h"
#include "sockchat/net/fd.h"
#include "systemd_notify.h"
#include "tls_listeners.h"
#include "worker.h"

namespace sockchatd {

inline constexpr int kExitOk = 0;
inline constexpr int kExitConfig = 78;  // EX_CONFIG
// EX_OSERR: the system refused what the daemon needs (a listener cannot be bound, no signalfd).
inline constexpr int kExitOsError = 71;

class Server {
  public:
    // configPath: the file the config came from (reload re-reads it); empty = embedded default.
    Server(sockchat::config::Config config, std::string configPath, sockchat::log::Logger& logger);
    ~Server();

    // Blocks until the daemon stops; returns the process exit code.
    int run();

  private:
    int bindListeners();  // kExitOk or the exit code to stop with
    ListenSocket& adoptListener(sockchat::net::Fd fd, sockchat::config::Service service);
    // True if systemd passed a socket for this service: it replaces the config's listeners.
    bool passedBySystemd(sockchat::config::Service service) const;
    void logListening(const ListenSocket& listener);
    // Reload: binds the entries of `next` that are not bound yet (nothing if one fails: *error
    // says which and why) and lists the listeners whose entry went away.
    bool prepareListenerChange(const sockchat::config::Config& next,
                               std::vector<std::unique_ptr<ListenSocket>>* added,
                               std::vector<ListenSocket*>* removed, std::string* error) const;
    // Gives each listener the context loaded for it (none: plain text) and logs what it got.
    void installTlsContexts(const std::vector<TlsLoaded>& loaded);
    void startWorkers();
    void onSignal();
    void beginShutdown(const char* why);
    void onWorkerDrained();
    void finishShutdown(bool timedOut);
    // What a reload did, for whoever asked (the admin socket's `reload`): error empty = done.
    struct ReloadOutcome {
        std::string error;
        std::vector<sockchat::config::ConfigChange> changes, restartNeeded;
    };
    void reload(std::function<void(const ReloadOutcome&)> done = nullptr);
    WorkerSettings workerSettings() const;
    void reportStatus();
    void releaseMemoryIfClientsLeft();
    // Ends a reload: READY=1 and a STATUS= that says whether it failed (error non-empty).
    void finishReload(const std::string& error);
    void startWatchdog();
    int startMetrics();  // kExitOk or the exit code to stop with
    int startAdmin();    // kExitOk or the exit code to stop with

    // server_admin.cc: the admin socket's commands (daemon/admin/PROTOCOL.md).
    void handleAdmin(const nlohmann::json& request, AdminServer::Reply reply);
    void adminStatus(AdminServer::Reply reply);
    void adminClients(const nlohmann::json& request, AdminServer::Reply reply);
    void adminRooms(AdminServer::Reply reply);
    void adminKick(const nlohmann::json& request, AdminServer::Reply reply);
    void adminSay(const nlohmann::json& request, AdminServer::Reply reply);
    void adminReload(AdminServer::Reply reply);
    void adminLogLevel(const nlohmann::json& request, AdminServer::Reply reply);
    // Asks every worker (ask(worker, answer) runs on the control loop; answer may be called on
    // the worker's thread) and calls done on the control loop with all answers, in worker order.
    template <class T>
    void askWorkers(std::function<void(Worker&, std::function<void(T)>)> ask,
                    std::function<void(std::vector<T>)> done);
    std::string renderMetrics() const;
    void onHeartbeatAnswer(std::uint64_t round);

    sockchat::config::Config config_;
    std::string configPath_;
    sockchat::log::Logger& logger_;
    SystemdNotifier notifier_;

    sockchat::net::EventLoop control_;
    sockchat::net::Fd signalFd_;
    std::vector<std::unique_ptr<ListenSocket>> listeners_;
    ConnectionLimiter limiter_;
    ChatBackendChoice chat_;
    WorkerShared shared_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::unique_ptr<MetricsServer> metrics_;
    AdminSocketFile adminFile_;  // removes the socket file when the daemon ends
    std::unique_ptr<AdminServer> admin_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();

    std::string lastReloadError_;  // the last reload's error until one succeeds
    std::vector<std::function<void(const ReloadOutcome&)>> reloadWaiters_;
    ReloadOutcome reloadOutcome_;  // of the reload in progress
    MemoryReleaser memoryReleaser_;
    bool shuttingDown_ = false;
    int exitCode_ = kExitOk;
    unsigned workersReleased_ = 0;
    unsigned workersDrained_ = 0;
    sockchat::net::EventLoop::TimerId shutdownTimer_ = 0;
    std::chrono::steady_clock::time_point shutdownStarted_;
    bool shutdownTimedOut_ = false;

    // Watchdog: a heartbeat round goes through every worker; WATCHDOG=1 only when all answered.
    std::uint64_t heartbeatRound_ = 0;
    std::size_t heartbeatAnswers_ = 0;
    bool heartbeatPending_ = false;
};

}  // namespace sockchatd
