#include "tls_handshake.h"

#include <fcntl.h>
#include <poll.h>

#include <cerrno>
#include <stdexcept>

#include "exit_codes.h"

namespace sockctl {
namespace {

using Clock = std::chrono::steady_clock;
using sockchat::tls::Stream;

TlsFailure verifyFailed(const Endpoint& endpoint, const std::string& reason) {
    return {kExitNoPermission, endpoint.toString() + ": TLS certificate verify failed: " + reason +
                                   " (use --cacert FILE, or -k to skip verification)"};
}

TlsFailure handshakeFailed(const Endpoint& endpoint, const std::string& reason) {
    return {kExitUnavailable,
            endpoint.toString() + ": TLS handshake failed: " + reason + " (is it a TLS port?)"};
}

}  // namespace

bool TlsFailure::certificate() const {
    return exitCode == kExitNoPermission;
}

std::optional<SocketStream> handshakeTls(const sockchat::tls::ClientContext& context,
                                         sockchat::net::Fd fd, const Endpoint& endpoint,
                                         TlsFailure* failure, std::chrono::milliseconds timeout) {
    // Non-blocking before the first byte: a server that never answers must not hang us.
    int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags >= 0) ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK);
    std::optional<Stream> stream;
    try {
        stream.emplace(Stream::connect(context.get(), fd.get(), endpoint.host));
    } catch (const std::runtime_error& e) {
        *failure = handshakeFailed(endpoint, e.what());
        return std::nullopt;
    }
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        const Io io = stream->handshake();
        if (io == Io::ok) break;
        if (io == Io::failed || io == Io::closed) {
            if (const std::string verify = stream->verifyFailure(); !verify.empty())
                *failure = verifyFailed(endpoint, verify);
            else
                *failure = handshakeFailed(
                    endpoint, io == Io::closed ? "closed by the server" : stream->error());
            return std::nullopt;
        }
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        pollfd p{fd.get(), pollEventsFor(io), 0};
        const int ready = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count()) + 1) : 0;
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0) {
            const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout);
            *failure = handshakeFailed(
                endpoint, "no answer within " + std::to_string(seconds.count()) + " s");
            return std::nullopt;
        }
    }
    return SocketStream(std::move(fd), std::move(*stream));
}

std::string describeTls(const Stream& stream) {
    return "(" + stream.version() + ", " + stream.cipher() + ")";
}

}  // namespace sockctl
