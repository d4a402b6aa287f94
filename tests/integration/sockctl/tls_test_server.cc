#include "tls_test_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <vector>

#include "outside_process.h"
#include "sockchat/net/fd.h"

namespace sockctl_test {
namespace {

constexpr const char* kSocat = "/usr/bin/socat";

bool accepts(std::uint16_t port) {
    sockchat::net::Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr = sockchat::testing::loopback(port);
    return fd && ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

}  // namespace

bool haveSocat() {
    return ::access(kSocat, X_OK) == 0;
}

TlsTestServer::TlsTestServer(const sockchat::testing::TestPki::Pair& certificate,
                             const Options& options)
    : port_(options.port ? options.port : sockchat::testing::freeLoopbackPort()) {
    std::string listen = "TCP-LISTEN:" + std::to_string(port_) + ",bind=127.0.0.1,reuseaddr,fork";
    if (!options.plain) {
        listen = "OPENSSL-LISTEN:" + std::to_string(port_) +
                 ",bind=127.0.0.1,reuseaddr,fork,cert=" + certificate.cert +
                 ",key=" + certificate.key;
        listen += ",verify=0";
    }
    std::vector<std::string> args{kSocat, listen, options.target};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        // Its own process group: stop() ends the forked connections with it.
        ::setpgid(0, 0);
        int null = ::open("/dev/null", O_WRONLY);
        if (null >= 0) ::dup2(null, 2);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::setpgid(pid_, pid_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!accepts(port_)) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("socat exited before listening on " + listen);
        }
        if (std::chrono::steady_clock::now() > deadline) {
            stop();
            throw std::runtime_error("socat did not listen within 10 s: " + listen);
        }
        ::usleep(10000);  // a poll interval while waiting for the listen, not a fixed wait
    }
}

TlsTestServer::~TlsTestServer() {
    stop();
}

void TlsTestServer::stop() {
    if (pid_ < 0) return;
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

}  // namespace sockctl_test
