#include "sockchat/http/tls_transport.h"

#include <openssl/x509_vfy.h>
#include <poll.h>

#include <cstring>

#include "sockchat/http/fetch_error.h"
#include "sockchat/tls/error.h"

namespace sockchat::http {
namespace {

using tls::Io;
using tls::Stream;

// After a failed handshake: 60 when the certificate was the reason, otherwise 35, worded as
// curl words them.
[[noreturn]] void throwHandshakeFailure(const Stream& stream, Io io, const std::string& host,
                                        std::uint16_t port) {
    if (const std::string verify = stream.verifyFailure(); !verify.empty()) {
        const long code = SSL_get_verify_result(stream.native());
        if (code == X509_V_ERR_HOSTNAME_MISMATCH || code == X509_V_ERR_IP_ADDRESS_MISMATCH)
            throw FetchError(FetchCode::peerFailedVerification,
                             "SSL: no alternative certificate subject name matches target host "
                             "name '" +
                                 host + "'");
        throw FetchError(FetchCode::peerFailedVerification, "SSL certificate problem: " + verify);
    }
    std::string reason = stream.errorLine();
    if (reason.empty() && io == Io::failed) {
        switch (stream.failure()) {
            case Stream::Failure::socket:
                reason = std::strerror(stream.socketErrno());
                break;
            case Stream::Failure::eof:
                reason = "SSL_ERROR_SYSCALL";
                break;
            default:
                break;
        }
    }
    if (reason.empty()) reason = "handshake failed";
    throw FetchError(FetchCode::sslConnectError, "OpenSSL SSL_connect: " + reason +
                                                     " in connection to " + host + ":" +
                                                     std::to_string(port));
}

short pollEventsFor(Io io) {
    return io == Io::wantRead ? POLLIN : POLLOUT;
}

}  // namespace

tls::ClientContext makeTlsContext(const TlsOptions& options) {
    try {
        return tls::ClientContext(options);
    } catch (const tls::TlsFileError& e) {
        throw FetchError(FetchCode::sslCacertBadFile, e.what());
    }
}

TlsTransport::TlsTransport(const tls::ClientContext& context, net::Fd socket,
                           const std::string& host, std::uint16_t port, const Deadline& deadline,
                           const Trace& trace)
    : socket_(std::move(socket)), stream_([&] {
          try {
              return Stream::connect(context.get(), socket_.get(), host);
          } catch (const std::runtime_error& e) {
              throw FetchError(FetchCode::sslConnectError, e.what());
          }
      }()) {
    const std::string sni = stream_.serverName();
    trace.info("TLS handshake with " + host + " (SNI " + (sni.empty() ? "none" : sni) + ")");
    for (;;) {
        const Io io = stream_.handshake();
        if (io == Io::ok) break;
        if (io != Io::wantRead && io != Io::wantWrite)
            throwHandshakeFailure(stream_, io, host, port);
        if (!waitForFd(socket_.get(), pollEventsFor(io), deadline))
            throw FetchError(
                FetchCode::operationTimedOut,
                "SSL connection timeout in connection to " + host + ":" + std::to_string(port));
    }

    if (trace.enabled()) {
        trace.info("SSL connection using " + stream_.version() + " / " + stream_.cipher());
        const std::string subject = stream_.peerSubject(), issuer = stream_.peerIssuer();
        if (!subject.empty() || !issuer.empty()) {
            trace.info("Server certificate:");
            trace.info(" subject: " + subject);
            trace.info(" issuer: " + issuer);
        }
        trace.info(context.verifiesPeer() ? " SSL certificate verify ok."
                                          : " SSL certificate verification skipped (--insecure).");
    }
}

ReadResult TlsTransport::read(std::span<char> buffer, const Deadline& deadline) {
    for (;;) {
        std::size_t n = 0;
        const Io io = stream_.read(buffer.data(), buffer.size(), &n);
        switch (io) {
            case Io::ok:
                return {IoStatus::done, n};
            case Io::closed:
                return {IoStatus::eof, 0};
            case Io::failed:
                if (stream_.failure() == Stream::Failure::socket)
                    throwRecvFailure(stream_.socketErrno());
                throw FetchError(FetchCode::recvError, "OpenSSL SSL_read: " + stream_.errorLine());
            case Io::wantRead:
            case Io::wantWrite:
                break;
        }
        if (!waitForFd(socket_.get(), pollEventsFor(io), deadline)) return {IoStatus::timedOut, 0};
    }
}

IoStatus TlsTransport::writeAll(std::string_view data, const Deadline& deadline) {
    while (!data.empty()) {
        std::size_t n = 0;
        const Io io = stream_.write(data.data(), data.size(), &n);
        if (io == Io::ok) {
            data.remove_prefix(n);
            continue;
        }
        if (io == Io::failed && stream_.failure() == Stream::Failure::socket)
            throwSendFailure(stream_.socketErrno());
        if (io != Io::wantRead && io != Io::wantWrite)
            throw FetchError(FetchCode::sendError, "OpenSSL SSL_write: " + stream_.errorLine());
        if (!waitForFd(socket_.get(), pollEventsFor(io), deadline)) return IoStatus::timedOut;
    }
    return IoStatus::done;
}

}  // namespace sockchat::http
