#include "daemon_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <stdexcept>

#include "test_client.h"

namespace sockchat::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string uniqueName() {
    std::random_device rd;
    return std::to_string(::getpid()) + "-" + std::to_string(rd());
}

int remainingMs(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

std::vector<char*> cArgv(std::vector<std::string>& argv) {
    std::vector<char*> out;
    for (auto& a : argv) out.push_back(a.data());
    out.push_back(nullptr);
    return out;
}

}  // namespace

TempFile::TempFile(const std::string& text, const std::string& name) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sockchat-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    path_ = dir_ + "/" + name;
    std::ofstream(path_) << text;
}

TempFile::~TempFile() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

std::string testConfig(const std::string& listenYaml, const std::string& extraYaml) {
    return "listen:\n" + listenYaml + "logging: {level: debug, format: json, sink: console}\n" +
           extraYaml;
}

ProcessResult runProgram(const std::vector<std::string>& argvIn,
                         std::chrono::milliseconds timeout) {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) < 0 || ::pipe2(err, O_CLOEXEC) < 0)
        throw std::runtime_error("pipe failed");
    net::Fd outRead(out[0]), outWrite(out[1]), errRead(err[0]), errWrite(err[1]);
    std::vector<std::string> argv = argvIn;
    auto args = cArgv(argv);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(outWrite.get(), 1);
        ::dup2(errWrite.get(), 2);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    outWrite.reset();
    errWrite.reset();
    ProcessResult result;
    auto deadline = Clock::now() + timeout;
    pollfd fds[2] = {{outRead.get(), POLLIN, 0}, {errRead.get(), POLLIN, 0}};
    int open = 2;
    while (open > 0) {
        int n = ::poll(fds, 2, remainingMs(deadline));
        if (n <= 0) {
            ::kill(pid, SIGKILL);
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
            char buf[4096];
            ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
            if (r <= 0) {
                fds[i].fd = -1;
                --open;
            } else {
                (i == 0 ? result.stdoutText : result.stderrText)
                    .append(buf, static_cast<std::size_t>(r));
            }
        }
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFEXITED(status)) result.exitCode = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    return result;
}

DaemonProcess::DaemonProcess(const std::string& configYaml) {
    config_.emplace(configYaml);
    Options options;
    options.args = {"-c", config_->path()};
    start(std::move(options));
}

DaemonProcess::DaemonProcess(Options options) {
    start(std::move(options));
}

void DaemonProcess::start(Options options) {
    json_ = options.jsonLogs;
    // Abstract-namespace notify socket: nothing to clean up on disk.
    std::string notifyName = "sockchat-test-notify-" + uniqueName();
    net::Fd notify(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path + 1, notifyName.data(), notifyName.size());
    socklen_t addrLen =
        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + notifyName.size());
    if (::bind(notify.get(), reinterpret_cast<sockaddr*>(&addr), addrLen) < 0)
        throw std::runtime_error("bind notify socket: " + std::string(std::strerror(errno)));

    int err[2];
    if (::pipe2(err, O_CLOEXEC) < 0) throw std::runtime_error("pipe failed");
    net::Fd errRead(err[0]), errWrite(err[1]);

    std::vector<std::string> argv = options.launcher;
    argv.push_back(SOCKCHATD_BIN);
    argv.insert(argv.end(), options.args.begin(), options.args.end());
    auto args = cArgv(argv);
    std::string notifyEnv = "NOTIFY_SOCKET=@" + notifyName;

    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        ::dup2(errWrite.get(), 2);
        if (options.maxFds) {
            rlimit rl{*options.maxFds, *options.maxFds};
            ::setrlimit(RLIMIT_NOFILE, &rl);
        }
        ::putenv(notifyEnv.data());
        ::unsetenv("JOURNAL_STREAM");
        for (auto& e : options.env) ::putenv(e.data());
        if (!options.passedListeners.empty()) {
            // The sd_listen_fds protocol: fds from 3 on, LISTEN_PID = the daemon's own pid.
            // Move the sources out of the way first: one of them may already sit at fd 3..
            // (and dup2 onto itself would keep its close-on-exec flag).
            std::string names;
            std::vector<int> moved;
            for (auto& [fd, name] : options.passedListeners)
                moved.push_back(::fcntl(fd, F_DUPFD, 100));
            for (std::size_t i = 0; i < moved.size(); ++i) {
                ::dup2(moved[i], 3 + static_cast<int>(i));
                names += (i ? ":" : "") + options.passedListeners[i].second;
            }
            ::setenv("LISTEN_FDS", std::to_string(options.passedListeners.size()).c_str(), 1);
            ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
            ::setenv("LISTEN_FDNAMES", names.c_str(), 1);
        }
        if (options.beforeExec) options.beforeExec();
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    errWrite.reset();
    stderr_ = std::move(errRead);
    reader_ = std::thread([this] { readStderr(); });

    // Wait for READY=1, or for the daemon to die trying.
    auto deadline = Clock::now() + 20s;
    bool ready = false;
    while (!ready && Clock::now() < deadline) {
        pollfd p{notify.get(), POLLIN, 0};
        if (::poll(&p, 1, 100) > 0) {
            char buf[512];
            ssize_t n = ::recv(notify.get(), buf, sizeof buf - 1, 0);
            if (n > 0 &&
                std::string(buf, static_cast<std::size_t>(n)).find("READY=1") != std::string::npos)
                ready = true;
        } else if (::waitpid(pid_, &status_, WNOHANG) == pid_) {
            exited_ = true;
            break;
        }
    }
    notify_ = std::move(notify);
    if (!options.expectReady) return;
    if (!ready) {
        if (!exited_) ::kill(pid_, SIGKILL);
        (void)waitExit(5s);  // reaped after SIGKILL; the stderr below says what went wrong
        throw std::runtime_error("sockchatd did not become ready; stderr:\n" + stderrText());
    }
    if (json_ &&
        !waitForEvent([](const nlohmann::json& e) { return e["event"] == "start"; }, 10s)) {
        // The destructor does not run for a constructor that throws: no daemon may outlive us.
        ::kill(pid_, SIGKILL);
        (void)waitExit(5s);
        throw std::runtime_error("no start event; stderr:\n" + stderrText());
    }
}

DaemonProcess::~DaemonProcess() {
    if (!exited_) {
        ::kill(pid_, SIGKILL);
        (void)waitExit(10s);  // only reaping: the test is over
    }
    if (reader_.joinable()) reader_.join();
    // A sanitizer report in the daemon fails the test that ran it, even if every reply was right.
    for (const char* marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                               "WARNING: ThreadSanitizer", "runtime error:"})
        if (stderrText_.find(marker) != std::string::npos)
            ADD_FAILURE() << "sanitizer report from sockchatd:\n" << stderrText_;
}

void DaemonProcess::readStderr() {
    std::string partial;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(stderr_.get(), buf, sizeof buf);
        if (n <= 0) break;
        std::lock_guard lock(mutex_);
        stderrText_.append(buf, static_cast<std::size_t>(n));
        partial.append(buf, static_cast<std::size_t>(n));
        std::size_t nl;
        while ((nl = partial.find('\n')) != std::string::npos) {
            std::string line = partial.substr(0, nl);
            partial.erase(0, nl + 1);
            if (!json_) continue;
            auto event = nlohmann::json::parse(line, nullptr, false);
            if (event.is_discarded()) continue;  // e.g. a sanitizer report; kept in stderrText_
            // Client-facing listeners only (echo, chat), in config order; metrics and the admin
            // socket have their own.
            if (event.value("event", "") == "listen" && event.value("service", "") != "metrics" &&
                event.value("service", "") != "admin")
                ports_.push_back(event["port"].get<std::uint16_t>());
            events_.push_back(std::move(event));
        }
        changed_.notify_all();
    }
    std::lock_guard lock(mutex_);
    changed_.notify_all();
}

std::uint16_t DaemonProcess::port(std::size_t index) const {
    std::lock_guard lock(mutex_);
    if (index >= ports_.size())
        throw std::runtime_error("no listen event #" + std::to_string(index));
    return ports_[index];
}

void DaemonProcess::signal(int sig) const {
    ::kill(pid_, sig);
}

int DaemonProcess::waitExit(std::chrono::milliseconds timeout) {
    if (!exited_) {
        // A pidfd becomes readable when the child exits: wait on it, bounded, without polling.
        // glibc 2.36 declares pidfd_open without C linkage in C++: use the raw syscall.
        net::Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
        pollfd p{pidfd.get(), POLLIN, 0};
        if (pidfd && ::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return -1;
        if (::waitpid(pid_, &status_, 0) != pid_) return -1;
        exited_ = true;
    }
    if (reader_.joinable()) reader_.join();
    if (WIFEXITED(status_)) return WEXITSTATUS(status_);
    if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
    return -1;
}

bool DaemonProcess::waitForNotify(const std::string& text, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        pollfd p{notify_.get(), POLLIN, 0};
        if (::poll(&p, 1, remainingMs(deadline)) <= 0) return false;
        char buf[512];
        ssize_t n = ::recv(notify_.get(), buf, sizeof buf, 0);
        if (n > 0 && std::string(buf, static_cast<std::size_t>(n)).find(text) != std::string::npos)
            return true;
    }
}

std::vector<nlohmann::json> DaemonProcess::events() const {
    std::lock_guard lock(mutex_);
    return events_;
}

std::optional<nlohmann::json> DaemonProcess::waitForEvent(
    const std::function<bool(const nlohmann::json&)>& pred,
    std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    std::size_t checked = 0;
    std::optional<nlohmann::json> found;
    changed_.wait_for(lock, timeout, [&] {
        for (; checked < events_.size(); ++checked)
            if (pred(events_[checked])) {
                found = events_[checked];
                return true;
            }
        return false;
    });
    return found;
}

std::size_t DaemonProcess::countEvents(
    const std::function<bool(const nlohmann::json&)>& pred) const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& e : events_) n += pred(e) ? 1 : 0;
    return n;
}

std::size_t DaemonProcess::waitForCount(const std::function<bool(const nlohmann::json&)>& pred,
                                        std::size_t count,
                                        std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    std::size_t checked = 0, matched = 0;
    changed_.wait_for(lock, timeout, [&] {
        for (; checked < events_.size(); ++checked) matched += pred(events_[checked]) ? 1 : 0;
        return matched >= count;
    });
    return matched;
}

std::string DaemonProcess::stderrText() const {
    std::lock_guard lock(mutex_);
    return stderrText_;
}

long DaemonProcess::rssKiB() const {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

std::chrono::milliseconds DaemonProcess::cpuTime() const {
    std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // Fields after the command name (which may hold spaces) in parentheses: state is field 3,
    // utime and stime are fields 14 and 15, in clock ticks.
    std::istringstream rest(text.substr(text.rfind(')') + 2));
    std::string field;
    long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::stoll(field);
        if (i == 15) stime = std::stoll(field);
    }
    return std::chrono::milliseconds((utime + stime) * 1000 / ::sysconf(_SC_CLK_TCK));
}

std::optional<std::chrono::milliseconds> DaemonProcess::cpuBetweenEvents(
    const std::function<bool(const nlohmann::json&)>& pred,
    std::chrono::milliseconds timeout) const {
    if (waitForCount(pred, 1, timeout) < 1) return std::nullopt;
    auto cpuStart = cpuTime();
    if (waitForCount(pred, 2, timeout) < 2) return std::nullopt;
    return cpuTime() - cpuStart;
}

void expectPausedNotSpinning(const DaemonProcess& daemon,
                             const std::function<bool(const nlohmann::json&)>& pred,
                             const std::string& what) {
    auto cpu = daemon.cpuBetweenEvents(pred);
    ASSERT_TRUE(cpu) << "no two reports from " << what << "\n" << daemon.stderrText();
    // Bounded by the work, not by how long the reports took to reach us: between two reports (at
    // least a second apart in the daemon) a paused loop wakes at most ten times per worker, tries
    // one accept, fails and sleeps again, plus a log line or two: a few milliseconds even under
    // the sanitizers. A loop spinning on the readable listener for that second burns hundreds of
    // milliseconds on any share of a core it gets. (Clock ticks are 10 ms: far below the bound.)
    constexpr std::chrono::milliseconds kBudget{150};
    EXPECT_LT(*cpu, kBudget) << what << ": cpu " << cpu->count()
                             << " ms between two reports: spinning?";
    // A loop that reports every failure instead of pausing spins too, but cheaply per report: it
    // shows as a flood instead. A paused one has made no third report when we see the second
    // (that takes another second); the margin is for our reader falling behind under load.
    std::size_t reports = daemon.countEvents(pred);
    EXPECT_LE(reports, 4u) << what << ": " << reports << " reports where 2 were due: spinning?";
}

std::uint16_t metricsPort(const DaemonProcess& daemon) {
    auto ev = daemon.waitForEvent([](const nlohmann::json& e) {
        return e.value("event", "") == "listen" && e.value("service", "") == "metrics";
    });
    return ev ? (*ev)["port"].get<std::uint16_t>() : 0;
}

std::string httpGet(std::uint16_t port, const std::string& path) {
    TestClient c(port);
    c.send("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
    std::string response;
    // The endpoint closes after its answer: without the close the response may be cut short, so
    // it counts as none (every caller checks what it got).
    return c.waitClosed(std::chrono::seconds(10), &response) ? response : std::string();
}

}  // namespace sockchat::testing
