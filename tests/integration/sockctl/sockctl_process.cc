#include "sockctl_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace sockctl_test {
namespace {

using Clock = std::chrono::steady_clock;

std::function<bool(const std::string&)> contains(const std::string& text) {
    return [text](const std::string& s) { return s.find(text) != std::string::npos; };
}

}  // namespace

SockctlProcess::SockctlProcess(const std::vector<std::string>& args) {
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) < 0 || ::pipe2(out, O_CLOEXEC) < 0 || ::pipe2(err, O_CLOEXEC) < 0)
        throw std::runtime_error("pipe failed");
    sockchat::net::Fd inRead(in[0]), inWrite(in[1]), outRead(out[0]), outWrite(out[1]),
        errRead(err[0]), errWrite(err[1]);
    std::vector<std::string> argv{SOCKCTL_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        ::dup2(inRead.get(), 0);
        ::dup2(outWrite.get(), 1);
        ::dup2(errWrite.get(), 2);
        ::execv(cargv[0], cargv.data());
        ::_exit(127);
    }
    stdin_ = std::move(inWrite);
    stdout_ = std::move(outRead);
    stderr_ = std::move(errRead);
    reader_ = std::thread([this] { readOutput(); });
}

SockctlProcess::~SockctlProcess() {
    stdin_.reset();
    if (!exited_) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status_, 0);
        exited_ = true;
    }
    if (reader_.joinable()) reader_.join();
    expectNoSanitizerReport(err_, "sockctl");
}

void SockctlProcess::readOutput() {
    pollfd fds[2] = {{stdout_.get(), POLLIN, 0}, {stderr_.get(), POLLIN, 0}};
    int open = 2;
    while (open > 0) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[8192];
            ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
            if (n <= 0) {
                fds[i].fd = -1;
                --open;
                continue;
            }
            std::lock_guard lock(mutex_);
            (i == 0 ? out_ : err_).append(buf, static_cast<std::size_t>(n));
            changed_.notify_all();
        }
    }
}

void SockctlProcess::write(std::string_view text) {
    while (!text.empty()) {
        ssize_t n = ::write(stdin_.get(), text.data(), text.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw std::runtime_error("write to sockctl's stdin failed");
        text.remove_prefix(static_cast<std::size_t>(n));
    }
}

void SockctlProcess::closeStdin() {
    stdin_.reset();
}

bool SockctlProcess::waitFor(std::string SockctlProcess::*stream,
                             const std::function<bool(const std::string&)>& pred,
                             std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return pred(this->*stream); });
}

bool SockctlProcess::waitForStdout(const std::string& text, std::chrono::milliseconds timeout) {
    return waitFor(&SockctlProcess::out_, contains(text), timeout);
}

bool SockctlProcess::waitForStderr(const std::string& text, std::chrono::milliseconds timeout) {
    return waitFor(&SockctlProcess::err_, contains(text), timeout);
}

bool SockctlProcess::waitForStdout(const std::function<bool(const std::string&)>& pred,
                                   std::chrono::milliseconds timeout) {
    return waitFor(&SockctlProcess::out_, pred, timeout);
}

bool SockctlProcess::waitForStderr(const std::function<bool(const std::string&)>& pred,
                                   std::chrono::milliseconds timeout) {
    return waitFor(&SockctlProcess::err_, pred, timeout);
}

std::string SockctlProcess::stdoutText() const {
    std::lock_guard lock(mutex_);
    return out_;
}

std::string SockctlProcess::stderrText() const {
    std::lock_guard lock(mutex_);
    return err_;
}

int SockctlProcess::waitExit(std::chrono::milliseconds timeout) {
    if (!exited_) {
        // A pidfd is readable once the child exits: a bounded wait without polling.
        sockchat::net::Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
        pollfd p{pidfd.get(), POLLIN, 0};
        if (pidfd && ::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return -1;
        if (::waitpid(pid_, &status_, 0) != pid_) return -1;
        exited_ = true;
    }
    if (reader_.joinable()) reader_.join();  // all output is in once both pipes hit EOF
    if (WIFEXITED(status_)) return WEXITSTATUS(status_);
    if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
    return -1;
}

std::uint16_t unusedPort() {
    sockchat::net::Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 ||
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len) < 0)
        throw std::runtime_error("cannot find an unused port");
    return ntohs(sa.sin_port);
}

std::string lastLine(const std::string& screen) {
    std::size_t end = screen.find_last_not_of(" \n");
    if (end == std::string::npos) return {};
    std::size_t start = screen.rfind('\n', end);
    start = start == std::string::npos ? 0 : start + 1;
    return screen.substr(start, end + 1 - start);
}

void expectNoSanitizerReport(const std::string& text, const std::string& who) {
    for (const char* marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                               "WARNING: ThreadSanitizer", "runtime error:"})
        if (text.find(marker) != std::string::npos)
            ADD_FAILURE() << "sanitizer report from " << who << ":\n" << text;
}

}  // namespace sockctl_test
