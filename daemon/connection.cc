#include "connection.h"

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "service.h"
#include "sockchat/net/socket.h"

namespace sockchatd {

using sockchat::log::Field;
using Clock = std::chrono::steady_clock;

namespace {
// One read per readiness event, at most this much: large enough for throughput, small enough
// that one busy peer cannot starve the others on the same worker.
constexpr std::size_t kReadChunk = 64 * 1024;
// While lingering at shutdown, how often to check whether the peer acknowledged everything.
constexpr auto kLingerPoll = std::chrono::milliseconds(10);
// How long a client we close (idle, /quit) may take to read its last words.
constexpr auto kGracefulCloseLimit = std::chrono::seconds(5);
// What a plain-text client on a TLS port reads before we close (it would not understand a TLS
// alert); a TLS client never sees it, since it starts with a handshake record.
constexpr std::string_view kPlainTextOnTlsPort =
    "! this port speaks TLS: connect with TLS (sockctl --tls, openssl s_client)\n";
// The first bytes of every TLS ClientHello: a handshake record (22), protocol version 3.x.
bool looksLikeTlsHello(std::string_view bytes) {
    return bytes.size() >= 3 && bytes[0] == 0x16 && bytes[1] == 0x03 &&
           static_cast<unsigned char>(bytes[2]) <= 0x04;
}
}  // namespace

Connection::Connection(ConnectionHost& host, sockchat::net::Fd fd, std::uint64_t serial,
                       sockchat::net::SocketAddress peer, std::uint8_t limiterPrefixLength,
                       std::shared_ptr<const std::string> listener, Service& service,
                       const sockchat::tls::ServerContext* tls)
    : host_(host),
      fd_(std::move(fd)),
      serial_(serial),
      peer_(peer),
      listener_(std::move(listener)),
      service_(service),
      started_(Clock::now()),
      limiterPrefixLength_(limiterPrefixLength) {
    if (tls) {
        tls_ = std::make_unique<Tls>(sockchat::tls::Stream::accept(tls->get(), fd_.get()),
                                     tls->settings().handshake_timeout);
    }
}

Connection::~Connection() {
    if (flushDeferred_) host_.loop.cancelDeferred(flushDeferred_);
    host_.idle.untrack(*this);
    cancelGracefulTimers();
    cancelTlsCallbacks();
    if (fd_) host_.loop.unwatch(fd_.get());
}

std::string Connection::id() const {
    return std::string("c").append(std::to_string(serial_));
}

void Connection::start() {
    interest_ = EPOLLIN | EPOLLRDHUP;
    if (!tls_) {
        host_.loop.watch(fd_.get(), interest_, [this](std::uint32_t events) { onEvents(events); });
        startService();
        return;
    }
    // The service hears of the connection only once it is encrypted: until then the peer has
    // proved nothing, and a handshake that stalls costs a timer and an SSL object, no more.
    host_.loop.watch(fd_.get(), interest_, [this](std::uint32_t events) { onEvents(events); });
    tls_->handshakeTimer = host_.loop.runAfter(tls_->handshakeTimeout, [this] {
        tls_->handshakeTimer = 0;
        failHandshake("handshake timed out", kTlsTimeout);
    });
}

void Connection::startService() {
    serviceStarted_ = true;
    service_.onAccept(*this);
    std::vector<sockchat::log::Field> fields{
        {"conn", id()}, {"peer", peer_.toString()}, {"listener", *listener_}};
    if (tls_) {
        fields.emplace_back("tls_version", tls_->stream.version());
        fields.emplace_back("tls_cipher", tls_->stream.cipher());
        if (std::string cn = tls_->stream.peerCommonName(); !cn.empty())
            fields.emplace_back("tls_client", std::move(cn));
    }
    service_.describe(*this, fields);
    host_.logger.clientEvent("connect", "", fields);
    host_.idle.touch(*this);  // idle from now on, unless active
    service_.onOpen(*this);
}

void Connection::onHandshakeEvents(std::uint32_t events) {
    if (closed()) return;
    if (lingering_) {
        handleLingerRead();
        return;
    }
    if ((events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLIN)) {
        failHandshake(events & EPOLLERR ? "socket error" : "hang-up", kTlsClosed);
        return;
    }
    continueHandshake();
}

void Connection::continueHandshake() {
    if (!firstBytePeeked_) {
        // Before OpenSSL sees anything: a peer whose first byte is not a TLS record is a
        // plain-text client on the wrong port. It gets a line it can read instead of an alert.
        char first = 0;
        ssize_t n = ::recv(fd_.get(), &first, 1, MSG_PEEK);
        if (n == 1 && first != 0x16) {
            refusePlainText();
            return;
        }
        if (n == 0) {  // gone before a byte: a port scan, a health check
            failHandshake("connection closed during the handshake", kTlsClosed);
            return;
        }
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                failHandshake(std::strerror(errno), kTlsClosed);
            return;
        }
        firstBytePeeked_ = true;
    }
    using Io = sockchat::tls::Io;
    switch (tls_->stream.handshake()) {
        case Io::ok:
            break;
        case Io::wantRead:
            if (interest_ != (EPOLLIN | EPOLLRDHUP)) {
                interest_ = EPOLLIN | EPOLLRDHUP;
                host_.loop.modify(fd_.get(), interest_);
            }
            return;
        case Io::wantWrite:
            if (interest_ != EPOLLOUT) {
                interest_ = EPOLLOUT;
                host_.loop.modify(fd_.get(), interest_);
            }
            return;
        case Io::closed:
            failHandshake("connection closed during the handshake", kTlsClosed);
            return;
        case Io::failed: {
            const std::string& reason = tls_->stream.error();
            failHandshake(reason, reason.find("certificate") != std::string::npos ? kTlsCertificate
                                                                                  : kTlsProtocol);
            return;
        }
    }
    host_.loop.cancel(tls_->handshakeTimer);
    tls_->handshakeTimer = 0;
    host_.stats.add(host_.stats.tlsHandshakes, 1);
    interest_ = EPOLLIN | EPOLLRDHUP;
    host_.loop.modify(fd_.get(), interest_);
    startService();
    if (!closed()) readBufferedTlsInput();
}

void Connection::refusePlainText() {
    if (tls_->handshakeTimer) {
        host_.loop.cancel(tls_->handshakeTimer);
        tls_->handshakeTimer = 0;
    }
    host_.stats.add(host_.stats.tlsFailures[kTlsPlainText], 1);
    sockchat::net::sendNoSignal(fd_.get(), kPlainTextOnTlsPort.data(), kPlainTextOnTlsPort.size());
    GracefulClose& graceful = startGracefulClose("tls: plain text on a TLS port");
    // Like a graceful close: FIN after the line, then discard its input until it has read it,
    // so our close does not turn into a reset that destroys the line.
    ::shutdown(fd_.get(), SHUT_WR);
    lingering_ = true;
    graceful.limitTimer = host_.loop.runAfter(kGracefulCloseLimit, [this] {
        graceful_->limitTimer = 0;
        close(graceful_->reason);
    });
    handleLingerRead();
}

void Connection::failHandshake(const std::string& reason, std::size_t kind) {
    if (closed()) return;
    host_.stats.add(host_.stats.tlsFailures[kind], 1);
    close("tls: " + reason);
}

void Connection::onLimitsChanged() {
    // idle_timeout is the host's IdleTracker's
    if (closed()) return;
    if (readPaused_ && output_.size() < host_.limits.output_buffer_bytes) {
        readPaused_ = false;
        updateInterest();
    }
}

void Connection::onEvents(std::uint32_t events) {
    if (tls_ && !serviceStarted_) {
        onHandshakeEvents(events);
        return;
    }
    if (events & (EPOLLERR | EPOLLHUP)) {
        // Flush nothing: the socket is dead. Read first so a final error reason is precise.
        if (!(events & EPOLLIN)) {
            close(events & EPOLLERR ? "socket error" : "hang-up");
            return;
        }
    }
    if (tlsReadWantsWrite_ && (events & EPOLLOUT) && !closed()) {
        tlsReadWantsWrite_ = false;
        handleReadable();
    }
    if (tlsWriteWantsRead_ && (events & EPOLLIN) && !closed()) {
        tlsWriteWantsRead_ = false;
        handleWritable();
    }
    if ((events & EPOLLOUT) && !closed()) handleWritable();
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && !closed()) {
        if (lingering_)
            handleLingerRead();
        else if (!draining_ && !readPaused_ && !inputHeld_ && !peerClosed_)
            handleReadable();
        else if (events & (EPOLLHUP | EPOLLERR))
            close("hang-up");
    }
}

void Connection::handleReadable() {
    if (tls_) {
        readTls();
        return;
    }
    std::array<char, kReadChunk> buf;
    ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
    if (n > 0) {
        std::string_view bytes(buf.data(), static_cast<std::size_t>(n));
        // A TLS client on a plain port would get its ClientHello echoed or taken for a chat
        // line; closing at once lets it fail its handshake now instead of at its timeout.
        if (bytesIn_ == 0 && looksLikeTlsHello(bytes)) {
            close("tls: a TLS client on a plain port");
            return;
        }
        deliver(bytes);
        return;
    }
    if (n == 0) {
        handleEndOfInput();
        return;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    close(std::strerror(errno));
}

void Connection::deliver(std::string_view bytes) {
    bytesIn_ += bytes.size();
    host_.stats.add(host_.stats.bytesIn, bytes.size());
    if (!service_.reportsActivity()) host_.idle.touch(*this);
    service_.onData(*this, bytes);
}

void Connection::handleEndOfInput() {
    // The peer will send nothing more but may still be reading (shutdown(SHUT_WR)): everything
    // it sent gets its answer before we close.
    peerClosed_ = true;
    service_.onEndOfInput(*this);
    if (closed()) return;
    if (output_.empty())
        close("peer closed");
    else
        updateInterest();
}

void Connection::readTls() {
    // Up to kReadChunk per readiness event, as for plain text: several records if they are
    // there, so one busy peer is served in one call but cannot starve the others.
    std::array<char, kReadChunk> buf;
    std::size_t total = 0;
    using Io = sockchat::tls::Io;
    Io last = Io::ok;
    while (total < buf.size()) {
        std::size_t n = 0;
        last = tls_->stream.read(buf.data() + total, buf.size() - total, &n);
        if (last != Io::ok) break;
        total += n;
    }
    if (total > 0) deliver(std::string_view(buf.data(), total));
    if (closed()) return;
    switch (last) {
        case Io::ok:  // the chunk is full; more may wait in OpenSSL's buffer
            readBufferedTlsInput();
            return;
        case Io::wantRead:
            return;
        case Io::wantWrite:
            tlsReadWantsWrite_ = true;
            updateInterest();
            return;
        case Io::closed:
            if (!draining_ && !peerClosed_) handleEndOfInput();
            return;
        case Io::failed:
            close("tls: " + tls_->stream.error());
            return;
    }
}

void Connection::readBufferedTlsInput() {
    if (!tls_ || tls_->bufferedReadDeferred || !tls_->stream.hasBufferedInput()) return;
    tls_->bufferedReadDeferred = host_.loop.deferToIterationEnd([this] {
        tls_->bufferedReadDeferred = 0;
        if (!closed() && !lingering_ && !draining_ && !readPaused_ && !inputHeld_ && !peerClosed_)
            handleReadable();
    });
}

std::uint64_t Connection::wireBytesOut() const {
    return tls_ ? tls_->stream.wireBytesWritten() : bytesOut_;
}

void Connection::handleLingerRead() {
    std::array<char, 4096> buf;
    for (;;) {
        ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
        if (n > 0) continue;  // discarded: shutdown started before we read it
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n < 0 && errno == EINTR) continue;
        close(graceful_->reason);
        return;
    }
    closeIfOutputAcknowledged();
}

void Connection::closeIfOutputAcknowledged() {
    // Once the peer has acknowledged every byte we sent, and our receive queue is drained,
    // close() can neither lose data in flight nor turn into an RST: no need to wait for a
    // peer that never closes its side.
    int unacked = 0;
    if (::ioctl(fd_.get(), SIOCOUTQ, &unacked) == 0 && unacked == 0) {
        close(graceful_->reason);
        return;
    }
    if (!graceful_->lingerTimer)
        graceful_->lingerTimer = host_.loop.runAfter(kLingerPoll, [this] {
            graceful_->lingerTimer = 0;
            if (!closed()) handleLingerRead();
        });
}

void Connection::send(std::string_view bytes) {
    // After our FIN nothing more can reach the peer: a late room event is dropped quietly
    // rather than closing the connection with EPIPE before the peer acknowledged the rest.
    if (closed() || lingering_ || bytes.empty()) return;
    output_.append(bytes);
    // The cap is on what the peer has not taken: before judging, write what the socket accepts
    // now (unless it is known to be full, EPOLLOUT armed), so a burst gathered for a peer that
    // keeps up never counts against it.
    if (output_.size() >= host_.limits.output_buffer_bytes && !(interest_ & EPOLLOUT) &&
        !flushOutput())
        return;
    if (output_.size() >= host_.limits.output_buffer_bytes) {
        if (!service_.pausesOnFullOutput()) {
            host_.logger.warn("limit", "output buffer full, dropping slow consumer",
                              {{"conn", id()},
                               {"peer", peer_.toString()},
                               {"reason", "slow consumer"},
                               {"pending_bytes", output_.size()}});
            dropSlowConsumer();
            return;
        }
        readPaused_ = true;
        updateInterest();
    }
    // Written when this loop iteration ends, together with everything else the iteration
    // queues for this peer (a burst of room events): one send() instead of one per line, which
    // matters with TCP_NODELAY. Not needed while EPOLLOUT is armed: the socket is full and
    // handleWritable() sends when it drains.
    if (!flushDeferred_ && !(interest_ & EPOLLOUT))
        flushDeferred_ = host_.loop.deferToIterationEnd([this] {
            flushDeferred_ = 0;
            if (!closed()) handleWritable();
        });
}

void Connection::handleWritable() {
    if (!flushOutput()) return;
    if (readPaused_ && output_.size() < host_.limits.output_buffer_bytes / 2) readPaused_ = false;
    if (output_.empty()) {
        if (peerClosed_) {
            close("peer closed");
            return;
        }
        if (draining_ && !lingering_) {
            finishGracefulClose();
            return;
        }
    }
    updateInterest();
}

bool Connection::flushOutput() {
    while (!output_.empty() && tls_) {
        std::size_t n = 0;
        using Io = sockchat::tls::Io;
        switch (tls_->stream.write(output_.data(), output_.size(), &n)) {
            case Io::ok:
                bytesOut_ += n;
                host_.stats.add(host_.stats.bytesOut, n);
                lastSentNewline_ = output_.data()[n - 1] == '\n';
                output_.consume(n);
                continue;
            case Io::wantWrite:
                return true;
            case Io::wantRead:
                tlsWriteWantsRead_ = true;
                return true;
            case Io::closed:
            case Io::failed:
                close("tls: " + (tls_->stream.error().empty() ? std::string("write failed")
                                                              : tls_->stream.error()));
                return false;
        }
    }
    while (!output_.empty()) {
        ssize_t n = sockchat::net::sendNoSignal(fd_.get(), output_.data(), output_.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
            close(std::strerror(errno));
            return false;
        }
        bytesOut_ += static_cast<std::size_t>(n);
        host_.stats.add(host_.stats.bytesOut, static_cast<std::uint64_t>(n));
        lastSentNewline_ = output_.data()[n - 1] == '\n';
        output_.consume(static_cast<std::size_t>(n));
    }
    return true;
}

void Connection::updateInterest() {
    if (closed()) return;
    std::uint32_t want = 0;
    const bool reading = !draining_ && !readPaused_ && !inputHeld_ && !peerClosed_;
    if (lingering_ || reading || tlsWriteWantsRead_) want |= EPOLLIN | EPOLLRDHUP;
    if (!output_.empty() || tlsReadWantsWrite_) want |= EPOLLOUT;
    if (want != interest_) {
        interest_ = want;
        host_.loop.modify(fd_.get(), want);
    }
    // Input decrypted before reading paused does not make the socket readable again.
    if (reading && !lingering_) readBufferedTlsInput();
}

void Connection::holdInput(bool hold) {
    if (hold == inputHeld_) return;
    inputHeld_ = hold;
    updateInterest();
}

void Connection::dropSlowConsumer() {
    // Its queued output goes (that is the memory it would eat); what the service says last
    // takes its place, on a line of its own, and gets kGracefulCloseLimit to be read.
    output_.clear();
    if (!lastSentNewline_) output_.append("\n");
    beginGracefulClose("slow consumer", true);
}

void Connection::beginGracefulClose(std::string reason, bool bounded) {
    if (closed() || draining_) return;
    if (!serviceStarted_) {  // still in the TLS handshake: nothing to say, nothing to flush
        if (!lingering_) close(reason);
        return;
    }
    GracefulClose& graceful = startGracefulClose(std::move(reason));
    service_.onClosing(*this, graceful.reason);
    if (closed()) return;
    draining_ = true;
    if (bounded)
        graceful.limitTimer = host_.loop.runAfter(kGracefulCloseLimit, [this] {
            graceful_->limitTimer = 0;
            close(graceful_->reason);
        });
    if (output_.empty())
        finishGracefulClose();
    else
        updateInterest();
}

Connection::GracefulClose& Connection::startGracefulClose(std::string reason) {
    if (!graceful_) graceful_ = std::make_unique<GracefulClose>();
    graceful_->reason = std::move(reason);
    return *graceful_;
}

void Connection::cancelGracefulTimers() {
    if (!graceful_) return;
    if (graceful_->lingerTimer) host_.loop.cancel(graceful_->lingerTimer);
    if (graceful_->limitTimer) host_.loop.cancel(graceful_->limitTimer);
    graceful_->lingerTimer = 0;
    graceful_->limitTimer = 0;
}

void Connection::cancelTlsCallbacks() {
    if (!tls_) return;
    if (tls_->handshakeTimer) host_.loop.cancel(tls_->handshakeTimer);
    if (tls_->bufferedReadDeferred) host_.loop.cancelDeferred(tls_->bufferedReadDeferred);
    tls_->handshakeTimer = 0;
    tls_->bufferedReadDeferred = 0;
}

void Connection::finishGracefulClose() {
    if (tls_) tls_->stream.shutdown();  // close_notify: the peer knows the stream was not cut short
    ::shutdown(fd_.get(), SHUT_WR);
    lingering_ = true;
    updateInterest();
    handleLingerRead();
}

void Connection::onIdleDue() {
    if (closed()) return;
    // Output acknowledged since the last check: the peer is reading, so it is not idle. Seen
    // only here, so a reader that stops is closed 1 to 2 idle timeouts after its last ack.
    int unacked = 0;
    if (::ioctl(fd_.get(), SIOCOUTQ, &unacked) == 0 && unacked >= 0 &&
        wireBytesOut() - static_cast<std::uint64_t>(unacked) != acknowledgedOut_) {
        acknowledgedOut_ = wireBytesOut() - static_cast<std::uint64_t>(unacked);
        host_.idle.touch(*this);
        return;
    }
    host_.logger.info("limit", "idle timeout",
                      {{"conn", id()}, {"peer", peer_.toString()}, {"reason", "idle timeout"}});
    beginGracefulClose("idle timeout", true);
}

void Connection::close(std::string_view reason) {
    if (closed()) return;
    host_.idle.untrack(*this);
    // Not graceful_ itself: `reason` may be its reason, and the disconnect event logs it below.
    cancelGracefulTimers();
    if (flushDeferred_) {
        host_.loop.cancelDeferred(flushDeferred_);
        flushDeferred_ = 0;
    }
    cancelTlsCallbacks();
    host_.loop.unwatch(fd_.get());
    fd_.reset();
    // Ask before onClose: the service forgets the connection there.
    std::vector<sockchat::log::Field> fields{
        {"conn", id()}, {"peer", peer_.toString()}, {"listener", *listener_}};
    if (serviceStarted_) {
        service_.describe(*this, fields);
        service_.onClose(*this, reason);
    }
    host_.stats.closed(reason);
    // Give back the connection slot before logging: whoever sees the disconnect event may
    // count on the slot being free.
    if (host_.onClosed) host_.onClosed(*this);
    auto durationMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_).count();
    fields.insert(fields.end(), {{"reason", reason},
                                 {"bytes_in", bytesIn_},
                                 {"bytes_out", bytesOut_},
                                 {"duration_ms", static_cast<long long>(durationMs)}});
    host_.logger.clientEvent("disconnect", "", fields);
}

}  // namespace sockchatd
