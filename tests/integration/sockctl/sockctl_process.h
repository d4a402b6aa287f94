#pragma once
// SockctlProcess: a running sockctl for a test. Its stdin is a pipe the test writes to (pipe
// mode), its stdout and stderr are collected by a reader thread, and every wait has a deadline:
// tests wait for the output they expect, never for a fixed time.
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "sockchat/net/fd.h"

namespace sockctl_test {

using namespace std::chrono_literals;

class SockctlProcess {
  public:
    explicit SockctlProcess(const std::vector<std::string>& args);
    ~SockctlProcess();  // SIGKILL if still running; a sanitizer report fails the test
    SockctlProcess(const SockctlProcess&) = delete;
    SockctlProcess& operator=(const SockctlProcess&) = delete;

    void write(std::string_view text);
    void closeStdin();

    // Waits (bounded) until stdout / stderr contains text.
    [[nodiscard]] bool waitForStdout(const std::string& text,
                                     std::chrono::milliseconds timeout = 10s);
    [[nodiscard]] bool waitForStderr(const std::string& text,
                                     std::chrono::milliseconds timeout = 10s);
    // Waits (bounded) until pred(stdout / stderr so far) holds.
    [[nodiscard]] bool waitForStdout(const std::function<bool(const std::string&)>& pred,
                                     std::chrono::milliseconds timeout = 10s);
    [[nodiscard]] bool waitForStderr(const std::function<bool(const std::string&)>& pred,
                                     std::chrono::milliseconds timeout = 10s);
    std::string stdoutText() const;
    std::string stderrText() const;

    // Waits (bounded) for the exit; the exit code, 128+signal, or -1 on timeout.
    [[nodiscard]] int waitExit(std::chrono::milliseconds timeout = 15s);

  private:
    void readOutput();
    bool waitFor(std::string SockctlProcess::*stream,
                 const std::function<bool(const std::string&)>& pred,
                 std::chrono::milliseconds timeout);

    pid_t pid_ = -1;
    bool exited_ = false;
    int status_ = 0;
    sockchat::net::Fd stdin_, stdout_, stderr_;
    std::thread reader_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::string out_, err_;
};

// A TCP port on 127.0.0.1 with nothing listening (bound to 0 by the kernel, then closed).
std::uint16_t unusedPort();

// Text of the last non-blank line.
std::string lastLine(const std::string& screen);

// Fails the current test if text holds a sanitizer report.
void expectNoSanitizerReport(const std::string& text, const std::string& who);

}  // namespace sockctl_test
