#include "admin_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "admin_reply.h"
#include "exit_codes.h"
#include "sockchat/net/fd.h"
#include "sockchat/net/socket.h"

namespace sockctl::admin {
namespace {

using Clock = std::chrono::steady_clock;
using sockchat::net::Fd;

// The deadline of one exchange and the socket it is about, for wording failures.
class Connection {
  public:
    Connection(const std::string& path, const ClientLimits& limits)
        : path_(path), limits_(limits), deadline_(Clock::now() + limits.timeout) {}

    bool connect(Exchange* result);
    // false when the request could not be written; a reply may still be waiting (a daemon that
    // refuses us answers and closes at once, possibly before we write), so the caller reads.
    bool send(std::string line);
    bool readReply(Exchange* result);

  private:
    // Waits for `events` until the deadline: true when ready, false on timeout.
    bool wait(short events);
    void fail(Exchange* result, int exitCode, std::string message) const {
        result->exitCode = exitCode;
        result->error = std::move(message);
    }
    std::string cannotConnect(int error) const {
        return "cannot connect to " + path_ + ": " + std::strerror(error) +
               " (is sockchatd running?)";
    }

    const std::string& path_;
    const ClientLimits& limits_;
    const Clock::time_point deadline_;
    Fd fd_;
    int sendError_ = 0;
};

bool Connection::wait(short events) {
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd_.get(), events, 0};
        int ready = ::poll(&p, 1, static_cast<int>(left.count()));
        if (ready > 0) return true;
        if (ready < 0 && errno != EINTR) return true;  // let the next call report the error
    }
}

bool Connection::connect(Exchange* result) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path_.empty() || path_.size() >= sizeof address.sun_path) {
        fail(result, kExitUsage, "bad admin socket path \"" + path_ + "\" (empty or too long)");
        return false;
    }
    std::memcpy(address.sun_path, path_.data(), path_.size());
    fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd_) {
        fail(result, kExitFailure, std::string("socket: ") + std::strerror(errno));
        return false;
    }
    int error = 0;
    for (;;) {
        if (::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) ==
            0) {
            error = 0;
            break;
        }
        error = errno;
        if (error == EINTR) continue;
        // A Unix socket whose backlog is full refuses with EAGAIN (it never says EINPROGRESS):
        // a daemon busy for a moment, so try again until the deadline.
        if (error != EAGAIN) break;
        if (Clock::now() >= deadline_) {
            error = ETIMEDOUT;
            break;
        }
        ::poll(nullptr, 0, 10);
    }
    if (error == 0) return true;
    if (error == EACCES || error == EPERM)
        fail(result, kExitNoPermission, permissionDeniedMessage(path_));
    else
        fail(result, kExitUnavailable, cannotConnect(error));
    return false;
}

bool Connection::send(std::string line) {
    line += '\n';
    std::string_view rest = line;
    while (!rest.empty()) {
        ssize_t n = sockchat::net::sendNoSignal(fd_.get(), rest.data(), rest.size());
        if (n >= 0) {
            rest.remove_prefix(static_cast<std::size_t>(n));
        } else if (errno == EAGAIN) {
            if (!wait(POLLOUT)) {
                sendError_ = ETIMEDOUT;
                return false;
            }
        } else if (errno != EINTR) {
            sendError_ = errno;
            return false;
        }
    }
    return true;
}

bool Connection::readReply(Exchange* result) {
    std::string& reply = result->reply;
    const std::string noReply = "no reply from " + path_ + ": ";
    for (;;) {
        if (!wait(POLLIN)) {
            fail(
                result, kExitUnavailable,
                noReply + "nothing within " +
                    std::to_string(
                        std::chrono::duration_cast<std::chrono::seconds>(limits_.timeout).count()) +
                    " s");
            return false;
        }
        char buf[65536];
        ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n <= 0) {
            // Closed (or reset) before a whole line: the daemon went away, or is not one.
            int error = n < 0 ? errno : sendError_;
            std::string why =
                error != 0 ? std::strerror(error) : std::string("the daemon closed the connection");
            fail(result, kExitUnavailable, noReply + why);
            return false;
        }
        const std::size_t before = reply.size();
        reply.append(buf, static_cast<std::size_t>(n));
        if (auto newline = reply.find('\n', before); newline != std::string::npos) {
            reply.resize(newline);
            if (reply.size() <= limits_.maxReply) return true;
        }
        if (reply.size() > limits_.maxReply) {
            fail(result, kExitFailure,
                 "the reply from " + path_ + " is over " + std::to_string(limits_.maxReply) +
                     " bytes");
            reply.clear();
            return false;
        }
    }
}

}  // namespace

Exchange exchange(const std::string& socketPath, const std::string& requestLine,
                  const ClientLimits& limits) {
    Exchange result;
    Connection connection(socketPath, limits);
    if (!connection.connect(&result)) return result;
    connection.send(requestLine);
    if (!connection.readReply(&result)) result.reply.clear();
    return result;
}

}  // namespace sockctl::admin
