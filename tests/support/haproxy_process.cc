#include "haproxy_process.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "outside_process.h"
#include "sockchat/net/fd.h"

namespace sockchat::testing {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

bool accepts(std::uint16_t port) {
    net::Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr = loopback(port);
    return fd && ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

}  // namespace

HaproxyProcess::HaproxyProcess(const std::vector<std::uint16_t>& serverPorts) {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "sockchat-haproxy-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    port_ = freeLoopbackPort();
    // No daemon mode, chroot or user: a foreground child of the test. Chat clients sit idle for
    // long stretches, so the client and server timeouts are an hour, not HAProxy's usual seconds.
    std::ostringstream cfg;
    cfg << "global\n"
        << "    maxconn 256\n"
        << "\n"
        << "defaults\n"
        << "    mode tcp\n"
        << "    timeout connect 5s\n"
        << "    timeout client 1h\n"
        << "    timeout server 1h\n"
        << "\n"
        << "frontend chat\n"
        << "    bind 127.0.0.1:" << port_ << "\n"
        << "    default_backend sockchatd\n"
        << "\n"
        << "backend sockchatd\n"
        << "    balance roundrobin\n";
    for (std::size_t i = 0; i < serverPorts.size(); ++i)
        cfg << "    server node" << i << " 127.0.0.1:" << serverPorts[i] << "\n";
    config_ = cfg.str();
    std::string cfgPath = dir_ + "/haproxy.cfg";
    std::ofstream(cfgPath) << config_;

    pid_ = spawnLogged({HAPROXY_BIN, "-f", cfgPath, "-db"}, dir_ + "/haproxy.log");
    try {
        waitReady();
    } catch (...) {
        cleanUp();  // the destructor does not run for a throwing constructor
        throw;
    }
}

HaproxyProcess::~HaproxyProcess() {
    cleanUp();
}

void HaproxyProcess::cleanUp() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
    dir_.clear();
}

void HaproxyProcess::waitReady() {
    auto deadline = Clock::now() + 10s;
    while (Clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("haproxy exited at start (status " + std::to_string(status) +
                                     "):\n" + log() + "\nconfig:\n" + config_);
        }
        // The probe is forwarded to the first server like any connection: it logs a connect
        // there (and takes a guest number), but closes before the chat would greet it.
        if (accepts(port_)) return;
        std::this_thread::sleep_for(10ms);  // polling interval, bounded by the deadline
    }
    throw std::runtime_error("haproxy did not accept on port " + std::to_string(port_) +
                             " in time:\n" + log());
}

std::string HaproxyProcess::log() const {
    std::ifstream in(dir_ + "/haproxy.log");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace sockchat::testing
