#include "line_channel.h"

#include <poll.h>

namespace sockctl {
namespace {

// A server line longer than this is not a chat line; stop rather than buffer without bound.
constexpr std::size_t kMaxLineBytes = 1 << 20;

}  // namespace

LineChannel::LineChannel(SocketStream stream) : stream_(std::move(stream)) {}

short LineChannel::pollEvents() const {
    short events = POLLIN;
    if (lastRead_ == Io::wantWrite) events |= POLLOUT;
    if (wantsWrite()) events |= pollEventsFor(lastWrite_);
    return events;
}

bool LineChannel::readAvailable(std::string* why) {
    char buf[16384];
    // Until the stream would block: with TLS, what one read leaves in OpenSSL's buffer
    // (hasBufferedInput) never makes the socket readable again, so it must be read now.
    for (;;) {
        std::size_t n = 0;
        lastRead_ = stream_.read(buf, sizeof buf, &n);
        if (lastRead_ == Io::ok) {
            input_.append(buf, n);
            if (input_.size() > kMaxLineBytes && input_.find('\n') == std::string::npos) {
                *why = "the server sent a line longer than 1 MiB";
                return false;
            }
            continue;
        }
        if (lastRead_ == Io::closed) {
            *why = "closed by the server";
            return false;
        }
        if (lastRead_ == Io::failed) {
            *why = stream_.error();
            return false;
        }
        break;
    }
    // A TLS write that waited for input (wantRead) may go on now.
    if (wantsWrite() && lastWrite_ == Io::wantRead) return flush(why);
    return true;
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
        std::size_t n = 0;
        lastWrite_ = stream_.write(output_.data(), output_.size(), &n);
        if (lastWrite_ == Io::ok) {
            output_.erase(0, n);
            continue;
        }
        if (lastWrite_ == Io::wantRead || lastWrite_ == Io::wantWrite) return true;
        *why = stream_.error();
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
        pollfd p{fd(), pollEventsFor(lastWrite_), 0};
        if (::poll(&p, 1, leftMs()) <= 0 || !flush(&why)) break;
    }
    stream_.shutdownWrite();
    for (;;) {
        pollfd p{fd(), pollEvents(), 0};
        if (::poll(&p, 1, leftMs()) <= 0 || !readAvailable(&why)) break;
    }
}

}  // namespace sockctl
