#pragma once
// Running programs from sockfetch's integration tests: short-lived ones (sockfetch, curl,
// openssl) to completion with captured output, and long-lived helper servers. Everything is
// bounded in time: a hung program is killed, never waited for forever.
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "sockchat/net/fd.h"

namespace sockfetch_test {

using namespace std::chrono_literals;

struct RunResult {
    int exitCode = -1;  // valid when signal == 0 and !timedOut
    int signal = 0;
    bool timedOut = false;
    std::string out;
    std::string err;
};

// Changes to the test's own environment for one program: "NAME=value" sets NAME, a bare
// "NAME" removes it (as env -u does).
using EnvOverrides = std::vector<std::string>;

// Runs argv[0] (looked up in PATH) with stdin from /dev/null; kills it after timeout.
RunResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = 20s,
              const EnvOverrides& env = {});

// A helper process that runs until the test is done with it. Its stdin is a pipe we hold:
// closing it (in the destructor) is how our Python servers know to exit, and SIGTERM follows
// for programs that do not read stdin (nginx).
class Child {
  public:
    // stderrPath: where the child's stderr goes (empty: inherited, shows in the test log).
    Child(const std::vector<std::string>& argv, const std::string& stderrPath = {});
    ~Child();
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    pid_t pid() const { return pid_; }
    // Next line of the child's stdout (without '\n'); throws on EOF or after timeout.
    std::string readLine(std::chrono::milliseconds timeout = 10s);
    // True while the child has not exited (reaps it if it has).
    bool running();

  private:
    pid_t pid_ = -1;
    bool reaped_ = false;
    sockchat::net::Fd stdin_;
    sockchat::net::Fd stdout_;
    std::string pending_;  // stdout bytes read past the last line
};

}  // namespace sockfetch_test
