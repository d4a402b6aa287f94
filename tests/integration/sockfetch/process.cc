#include "process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <stdexcept>

extern char** environ;

namespace sockfetch_test {
namespace {

using sockchat::net::Fd;
using Clock = std::chrono::steady_clock;

struct Pipe {
    Fd read, write;
};

Pipe makePipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    return {Fd(fds[0]), Fd(fds[1])};
}

std::vector<char*> cArgv(const std::vector<std::string>& argv) {
    std::vector<char*> out;
    for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
    out.push_back(nullptr);
    return out;
}

// The test's environment with the overrides applied: an override replaces the variable of the
// same name or adds it; a bare name removes it.
std::vector<std::string> environment(const EnvOverrides& overrides) {
    std::vector<std::string> out;
    const auto nameOf = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
    for (char** e = environ; *e != nullptr; ++e) {
        std::string entry(*e);
        const bool overridden = std::any_of(overrides.begin(), overrides.end(),
                                            [&](auto& o) { return nameOf(o) == nameOf(entry); });
        if (!overridden) out.push_back(std::move(entry));
    }
    std::copy_if(overrides.begin(), overrides.end(), std::back_inserter(out),
                 [](const std::string& o) { return o.find('=') != std::string::npos; });
    return out;
}

// posix_spawnp with the given fds as the child's 0, 1, 2 (-1: /dev/null, or the path).
pid_t spawn(const std::vector<std::string>& argv, int in, int out, int err,
            const std::string& errPath = {}, const EnvOverrides& env = {}) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (in >= 0) {
        posix_spawn_file_actions_adddup2(&actions, in, 0);
    } else {
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    }
    if (out >= 0) posix_spawn_file_actions_adddup2(&actions, out, 1);
    if (err >= 0) {
        posix_spawn_file_actions_adddup2(&actions, err, 2);
    } else if (!errPath.empty()) {
        posix_spawn_file_actions_addopen(&actions, 2, errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0644);
    }
    auto args = cArgv(argv);
    const auto envStrings = environment(env);
    auto envp = cArgv(envStrings);
    pid_t pid = -1;
    const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    return pid;
}

int waitWithTimeout(pid_t pid, Clock::time_point deadline, bool* exited) {
    int status = 0;
    for (;;) {
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            *exited = true;
            return status;
        }
        if (r < 0 && errno != EINTR) {
            *exited = true;
            return 0;
        }
        if (Clock::now() >= deadline) {
            *exited = false;
            return 0;
        }
        ::usleep(2000);  // reaping poll for a process that already closed its output
    }
}

}  // namespace

RunResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
              const EnvOverrides& env) {
    Pipe out = makePipe();
    Pipe err = makePipe();
    const pid_t pid = spawn(argv, -1, out.write.get(), err.write.get(), {}, env);
    out.write.reset();
    err.write.reset();

    RunResult result;
    const auto deadline = Clock::now() + timeout;
    std::array<char, 65536> buffer;
    while (out.read || err.read) {
        std::vector<pollfd> fds;
        if (out.read) fds.push_back({out.read.get(), POLLIN, 0});
        if (err.read) fds.push_back({err.read.get(), POLLIN, 0});
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            result.timedOut = true;
            break;
        }
        const int n = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) continue;
        for (const auto& p : fds) {
            if (p.revents == 0) continue;
            const ssize_t got = ::read(p.fd, buffer.data(), buffer.size());
            const bool isOut = out.read && p.fd == out.read.get();
            if (got > 0) {
                (isOut ? result.out : result.err)
                    .append(buffer.data(), static_cast<std::size_t>(got));
            } else if (got == 0 || errno != EINTR) {
                (isOut ? out.read : err.read).reset();
            }
        }
    }
    if (result.timedOut) ::kill(pid, SIGKILL);
    bool exited = false;
    int status = waitWithTimeout(pid, result.timedOut ? Clock::now() + 5s : deadline + 1s, &exited);
    if (!exited) {
        result.timedOut = true;
        ::kill(pid, SIGKILL);
        status = waitWithTimeout(pid, Clock::now() + 5s, &exited);
    }
    if (WIFEXITED(status)) result.exitCode = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    return result;
}

Child::Child(const std::vector<std::string>& argv, const std::string& stderrPath) {
    Pipe in = makePipe();
    Pipe out = makePipe();
    pid_ = spawn(argv, in.read.get(), out.write.get(), -1, stderrPath);
    stdin_ = std::move(in.write);
    stdout_ = std::move(out.read);
}

Child::~Child() {
    stdin_.reset();
    if (!running()) return;
    ::kill(pid_, SIGTERM);
    bool exited = false;
    waitWithTimeout(pid_, Clock::now() + 5s, &exited);
    if (!exited) {
        ::kill(pid_, SIGKILL);
        waitWithTimeout(pid_, Clock::now() + 5s, &exited);
    }
}

bool Child::running() {
    if (reaped_) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) reaped_ = true;
    return !reaped_;
}

std::string Child::readLine(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        if (const auto nl = pending_.find('\n'); nl != std::string::npos) {
            std::string line = pending_.substr(0, nl);
            pending_.erase(0, nl + 1);
            return line;
        }
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) throw std::runtime_error("helper process printed no line in time");
        pollfd p{stdout_.get(), POLLIN, 0};
        const int n = ::poll(&p, 1, static_cast<int>(left.count()));
        if (n <= 0) continue;
        char buffer[4096];
        const ssize_t got = ::read(stdout_.get(), buffer, sizeof buffer);
        if (got == 0) throw std::runtime_error("helper process exited before it was ready");
        if (got > 0) pending_.append(buffer, static_cast<std::size_t>(got));
    }
}

}  // namespace sockfetch_test
