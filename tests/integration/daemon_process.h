#pragma once
// DaemonProcess: runs the real sockchatd binary for a test. It owns a NOTIFY_SOCKET and waits for
// READY=1 (never sleeps), captures the JSON log from stderr, and learns the bound ports from the
// `listen` events, so every test runs on ephemeral ports.
#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sockchat/net/fd.h"

namespace sockchat::testing {

using namespace std::chrono_literals;

// Writes text to a new file in a fresh temp dir; the dir goes away with the object.
class TempFile {
  public:
    explicit TempFile(const std::string& text, const std::string& name = "sockchatd.yaml");
    ~TempFile();
    const std::string& path() const { return path_; }

  private:
    std::string dir_, path_;
};

struct ProcessResult {
    int exitCode = -1;  // valid when !signaled
    int signal = 0;     // terminating signal, if any
    std::string stdoutText, stderrText;
};

// Runs a program to completion (bounded), capturing its output.
[[nodiscard]] ProcessResult runProgram(const std::vector<std::string>& argv,
                                       std::chrono::milliseconds timeout = 30s);

// Config YAML for tests: listeners on 127.0.0.1 port 0, JSON logs at debug level, plus extra
// top-level YAML (which must not repeat those keys).
std::string testConfig(
    const std::string& listenYaml = "  - {service: echo, address: \"127.0.0.1:0\"}\n",
    const std::string& extraYaml = "");

class DaemonProcess {
  public:
    struct Options {
        std::vector<std::string> args;        // e.g. {"-c", path}
        std::optional<std::uint64_t> maxFds;  // RLIMIT_NOFILE for the daemon
        bool jsonLogs = true;                 // parse stderr as JSON lines
        std::vector<std::string> env;         // extra NAME=VALUE entries
        // Listening sockets handed over as systemd would (fds 3.., LISTEN_FDNAMES).
        std::vector<std::pair<int, std::string>> passedListeners;
        bool expectReady = true;  // false: the test expects the daemon to fail at start
        // Runs in the forked child just before exec (e.g. to unshare a mount namespace); it may
        // call _exit() to fail the start.
        std::function<void()> beforeExec;
        // Runs the daemon through this command (argv, absolute path first), which must exec it in
        // the end so that its pid is the daemon's: e.g. unshare, to give it a mount namespace.
        std::vector<std::string> launcher;
    };

    // Starts sockchatd with `-c config` and waits for READY=1 (and, with JSON logs, the `start`
    // event). Throws with the daemon's stderr if it exits or stalls instead.
    explicit DaemonProcess(const std::string& configYaml);
    explicit DaemonProcess(Options options);
    ~DaemonProcess();  // SIGKILL if still running

    pid_t pid() const { return pid_; }
    // The config file written for the daemon (only with the configYaml constructor).
    std::string configPath() const { return config_ ? config_->path() : std::string(); }
    // Port of the n-th `listen` event (config order).
    std::uint16_t port(std::size_t listenerIndex = 0) const;

    void signal(int sig) const;
    // Waits for exit (bounded); returns the exit code, or 128+signal.
    [[nodiscard]] int waitExit(std::chrono::milliseconds timeout = 30s);
    [[nodiscard]] int stop() {
        signal(SIGTERM);
        return waitExit();
    }

    // Waits (bounded) for a datagram on our NOTIFY_SOCKET containing `text` (e.g. WATCHDOG=1).
    [[nodiscard]] bool waitForNotify(const std::string& text,
                                     std::chrono::milliseconds timeout = 10s);

    // Log events seen so far / waits (bounded) for one matching pred and returns it.
    std::vector<nlohmann::json> events() const;
    [[nodiscard]] std::optional<nlohmann::json> waitForEvent(
        const std::function<bool(const nlohmann::json&)>& pred,
        std::chrono::milliseconds timeout = 10s) const;
    std::size_t countEvents(const std::function<bool(const nlohmann::json&)>& pred) const;
    // Waits (bounded) until at least `count` events match; returns how many matched.
    [[nodiscard]] std::size_t waitForCount(const std::function<bool(const nlohmann::json&)>& pred,
                                           std::size_t count,
                                           std::chrono::milliseconds timeout = 10s) const;
    std::string stderrText() const;
    // Resident set size in KiB, from /proc.
    long rssKiB() const;
    // CPU time (user + system, all threads) the daemon has used so far, from /proc.
    std::chrono::milliseconds cpuTime() const;
    // CPU time the daemon used between the first and the second event matching pred (e.g. two
    // rate-limited reports); nullopt if either does not come within the timeout.
    [[nodiscard]] std::optional<std::chrono::milliseconds> cpuBetweenEvents(
        const std::function<bool(const nlohmann::json&)>& pred,
        std::chrono::milliseconds timeout = 10s) const;

  private:
    void start(Options options);
    void readStderr();

    std::optional<TempFile> config_;
    sockchat::net::Fd notify_;
    pid_t pid_ = -1;
    int status_ = 0;
    bool exited_ = false;
    bool json_ = true;
    sockchat::net::Fd stderr_;
    std::thread reader_;
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::string stderrText_;
    std::vector<nlohmann::json> events_;
    std::vector<std::uint16_t> ports_;
};

// For a loop that keeps failing (e.g. accept out of fds): between two reports matching pred
// (rate-limited to one a second in the daemon) the daemon uses no more CPU than a few paused
// retries cost, where a spin on a level-triggered listener burns it. `what` names the loop in the
// failure message.
void expectPausedNotSpinning(const DaemonProcess& daemon,
                             const std::function<bool(const nlohmann::json&)>& pred,
                             const std::string& what);

// The port of the daemon's metrics endpoint (its `listen` event), 0 if it never said.
std::uint16_t metricsPort(const DaemonProcess& daemon);
// One HTTP GET over a fresh connection; the whole response, or "" if the server did not close.
std::string httpGet(std::uint16_t port, const std::string& path);

}  // namespace sockchat::testing
