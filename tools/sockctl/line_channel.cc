#include "line_channel.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "sockchat/net/socket.h"

namespace sockctl {
namespace {

// A server line longer than this is not a chat line; stop rather than buffer without bound.
constexpr std::size_t kMaxLineBytes = 1 << 20;

}  // namespace

LineChannel::LineChannel(sockchat::net::Fd fd) : fd_(std::move(fd)) {
    int flags = ::fcntl(fd_.get(), F_GETFL);
    if (flags >= 0) ::fcntl(fd_.get(), F_SETFL, flags | O_NONBLOCK);
}

bool LineChannel::readAvailable(std::string* why) {
    char buf[16384];
    for (;;) {
        ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
        if (n > 0) {
            input_.append(buf, static_cast<std::size_t>(n));
            if (input_.size() > kMaxLineBytes && input_.find('\n') == std::string::npos) {
                *why = "the server sent a line longer than 1 MiB";
                return false;
            }
            continue;
        }
        if (n == 0) {
            *why = "closed by the server";
            return false;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
        *why = std::strerror(errno);
        return false;
    }
}

std::optional<std::string> LineChannel::nextLine() {
    std::size_t nl = input_.find('\n');
    if (nl == std::string::npos) return std::nullopt;
    std::string line = input_.substr(0, nl);
    input_.erase(0, nl + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

void LineChannel::sendLine(std::string_view line) {
    output_.append(line);
    output_.push_back('\n');
    std::string ignored;
    flush(&ignored);  // a failure shows up again at the next flush or read
}

bool LineChannel::flush(std::string* why) {
    while (!output_.empty()) {
        ssize_t n = sockchat::net::sendNoSignal(fd_.get(), output_.data(), output_.size());
        if (n > 0) {
            output_.erase(0, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
        *why = std::strerror(errno);
        return false;
    }
    return true;
}

void LineChannel::closeGracefully(std::chrono::milliseconds timeout) {
    using Clock = std::chrono::steady_clock;
    auto deadline = Clock::now() + timeout;
    auto leftMs = [&] {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        return left.count() > 0 ? static_cast<int>(left.count()) : 0;
    };
    std::string why;
    while (wantsWrite() && leftMs() > 0) {
        pollfd p{fd_.get(), POLLOUT, 0};
        if (::poll(&p, 1, leftMs()) <= 0 || !flush(&why)) break;
    }
    ::shutdown(fd_.get(), SHUT_WR);
    for (;;) {
        pollfd p{fd_.get(), POLLIN, 0};
        if (::poll(&p, 1, leftMs()) <= 0 || !readAvailable(&why)) break;
    }
    fd_.reset();
}

}  // namespace sockctl
