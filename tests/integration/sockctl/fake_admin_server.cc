#include "fake_admin_server.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace sockctl_test {

using sockchat::net::Fd;

namespace {

// How long the server waits for sockctl to connect, and then for its request line.
constexpr int kWaitMs = 10000;

}  // namespace

bool FakeAdminServer::readable(int fd) const {
    pollfd p[2] = {{fd, POLLIN, 0}, {stop_.get(), POLLIN, 0}};
    return ::poll(p, 2, kWaitMs) > 0 && (p[0].revents & (POLLIN | POLLHUP)) != 0;
}

FakeAdminServer::FakeAdminServer(std::string reply)
    : FakeAdminServer(std::move(reply), Silence::close) {}

FakeAdminServer::FakeAdminServer(Silence silence) : FakeAdminServer(std::nullopt, silence) {}

FakeAdminServer::FakeAdminServer(std::optional<std::string> reply, Silence silence)
    : reply_(std::move(reply)), silence_(silence) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sockctl-admin-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    // Traversable by anyone: the permission test runs sockctl as nobody, and it is the
    // socket's own mode that must refuse it, not the directory's.
    ::chmod(dir_.c_str(), 0755);
    path_ = dir_ + "/admin.sock";
    listener_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path_.data(), path_.size());
    if (!listener_ ||
        ::bind(listener_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0 ||
        ::listen(listener_.get(), 4) < 0)
        throw std::runtime_error("fake admin socket: " + std::string(std::strerror(errno)));
    stop_.reset(::eventfd(0, EFD_CLOEXEC));
    thread_ = std::thread([this] { serve(); });
}

FakeAdminServer::~FakeAdminServer() {
    // Wakes a server still waiting for a connection that will never come (sockctl failed
    // before connecting, as some tests expect).
    const std::uint64_t one = 1;
    if (::write(stop_.get(), &one, sizeof one) < 0) std::perror("fake admin server: eventfd");
    thread_.join();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

void FakeAdminServer::serve() {
    Fd client;
    std::string line;
    if (readable(listener_.get())) {
        client.reset(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        while (client && line.find('\n') == std::string::npos && line.size() < 65536 &&
               readable(client.get())) {
            char buf[4096];
            ssize_t n = ::recv(client.get(), buf, sizeof buf, 0);
            if (n <= 0) break;
            line.append(buf, static_cast<std::size_t>(n));
        }
    }
    const std::size_t newline = line.find('\n');
    {
        // Told before answering, so that a test can check the request while we hold.
        std::lock_guard lock(mutex_);
        if (newline != std::string::npos) request_ = line.substr(0, newline);
        finished_ = true;
        done_.notify_all();
    }
    if (newline == std::string::npos) return;
    if (reply_) {
        const std::string out = *reply_ + "\n";
        (void)::send(client.get(), out.data(), out.size(), MSG_NOSIGNAL);
    } else if (silence_ == Silence::hold) {
        // Until the test ends (or a minute, should it forget to end us).
        pollfd stop{stop_.get(), POLLIN, 0};
        ::poll(&stop, 1, 60000);
    }
}

std::optional<std::string> FakeAdminServer::request(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    done_.wait_for(lock, timeout, [this] { return finished_; });
    return request_;
}

}  // namespace sockctl_test
