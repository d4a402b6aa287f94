#include "sockchat/http/tls_transport.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>

#include <cerrno>
#include <cstring>

#include "sockchat/http/fetch_error.h"

namespace sockchat::http {
namespace {

bool isIpLiteral(const std::string& host) {
    in6_addr v6{};
    in_addr v4{};
    const std::string address = host.substr(0, host.find('%'));
    return ::inet_pton(AF_INET6, address.c_str(), &v6) == 1 ||
           ::inet_pton(AF_INET, address.c_str(), &v4) == 1;
}

// The oldest queued OpenSSL error as text ("error:0A00010B:SSL routines::wrong version
// number"), or an empty string when OpenSSL queued none.
std::string openSslError() {
    const unsigned long code = ERR_get_error();
    if (code == 0) return {};
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    ERR_clear_error();
    return text;
}

std::string nameLine(X509_NAME* name) {
    if (name == nullptr) return "(none)";
    char text[512];
    X509_NAME_oneline(name, text, sizeof text);
    return text;
}

// After a failed handshake: 60 when the certificate was the reason, otherwise 35.
[[noreturn]] void throwHandshakeFailure(SSL* ssl, int sslError, int savedErrno,
                                        const std::string& host, std::uint16_t port,
                                        bool verifyPeer) {
    const long verify = SSL_get_verify_result(ssl);
    if (verifyPeer && verify != X509_V_OK) {
        ERR_clear_error();
        if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH)
            throw FetchError(FetchCode::peerFailedVerification,
                             "SSL: no alternative certificate subject name matches target host "
                             "name '" +
                                 host + "'");
        throw FetchError(
            FetchCode::peerFailedVerification,
            std::string("SSL certificate problem: ") + X509_verify_cert_error_string(verify));
    }
    std::string reason = openSslError();
    if (reason.empty()) {
        reason = sslError == SSL_ERROR_SYSCALL && savedErrno != 0 ? std::strerror(savedErrno)
                 : sslError == SSL_ERROR_SYSCALL                  ? "SSL_ERROR_SYSCALL"
                                                                  : "handshake failed";
    }
    throw FetchError(FetchCode::sslConnectError, "OpenSSL SSL_connect: " + reason +
                                                     " in connection to " + host + ":" +
                                                     std::to_string(port));
}

}  // namespace

TlsContext::TlsContext(const TlsOptions& options)
    : ctx_(SSL_CTX_new(TLS_client_method())), verifyPeer_(options.verifyPeer) {
    if (!ctx_)
        throw FetchError(FetchCode::sslConnectError,
                         "cannot create TLS context: " + openSslError());
    SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
    // Servers that close without close_notify are common; body framing (Content-Length,
    // chunked) is what detects truncation, as in curl.
    SSL_CTX_set_options(ctx_.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
    // Partial writes let writeAll resume after WANT_WRITE with the same loop as plain TCP.
    SSL_CTX_set_mode(ctx_.get(),
                     SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (!options.verifyPeer) {
        SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_NONE, nullptr);
        return;
    }
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
    if (!options.caFile.empty()) {
        if (SSL_CTX_load_verify_locations(ctx_.get(), options.caFile.c_str(), nullptr) != 1) {
            ERR_clear_error();
            throw FetchError(FetchCode::sslCacertBadFile,
                             "error setting certificate file: " + options.caFile);
        }
    } else if (SSL_CTX_set_default_verify_paths(ctx_.get()) != 1) {
        ERR_clear_error();
    }
}

TlsTransport::TlsTransport(const TlsContext& context, net::Fd socket, const std::string& host,
                           std::uint16_t port, const Deadline& deadline, const Trace& trace)
    : socket_(std::move(socket)), ssl_(SSL_new(context.get())) {
    if (!ssl_ || SSL_set_fd(ssl_.get(), socket_.get()) != 1)
        throw FetchError(FetchCode::sslConnectError, "cannot set up TLS: " + openSslError());
    const bool ip = isIpLiteral(host);
    // SNI carries names only (RFC 6066 forbids IP literals there).
    if (!ip) SSL_set_tlsext_host_name(ssl_.get(), host.c_str());
    if (context.verifyPeer()) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl_.get());
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                          : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
        if (ok != 1)
            throw FetchError(FetchCode::sslConnectError,
                             "cannot set up host name check for " + host);
    }

    trace.info("TLS handshake with " + host + " (SNI " + (ip ? std::string("none") : host) + ")");
    for (;;) {
        ERR_clear_error();
        const int rc = SSL_connect(ssl_.get());
        if (rc == 1) break;
        const int savedErrno = errno;
        const int error = SSL_get_error(ssl_.get(), rc);
        short events = 0;
        if (error == SSL_ERROR_WANT_READ) events = POLLIN;
        if (error == SSL_ERROR_WANT_WRITE) events = POLLOUT;
        if (events == 0)
            throwHandshakeFailure(ssl_.get(), error, savedErrno, host, port, context.verifyPeer());
        if (!waitForFd(socket_.get(), events, deadline))
            throw FetchError(
                FetchCode::operationTimedOut,
                "SSL connection timeout in connection to " + host + ":" + std::to_string(port));
    }

    if (trace.enabled()) {
        trace.info(std::string("SSL connection using ") + SSL_get_version(ssl_.get()) + " / " +
                   SSL_get_cipher_name(ssl_.get()));
        if (X509* cert = SSL_get1_peer_certificate(ssl_.get())) {
            trace.info("Server certificate:");
            trace.info(" subject: " + nameLine(X509_get_subject_name(cert)));
            trace.info(" issuer: " + nameLine(X509_get_issuer_name(cert)));
            X509_free(cert);
        }
        trace.info(context.verifyPeer() ? " SSL certificate verify ok."
                                        : " SSL certificate verification skipped (--insecure).");
    }
}

ReadResult TlsTransport::read(std::span<char> buffer, const Deadline& deadline) {
    for (;;) {
        ERR_clear_error();
        std::size_t n = 0;
        const int rc = SSL_read_ex(ssl_.get(), buffer.data(), buffer.size(), &n);
        if (rc == 1) return {IoStatus::done, n};
        const int savedErrno = errno;
        const int error = SSL_get_error(ssl_.get(), rc);
        short events = 0;
        switch (error) {
            case SSL_ERROR_ZERO_RETURN:
                return {IoStatus::eof, 0};
            case SSL_ERROR_WANT_READ:
                events = POLLIN;
                break;
            case SSL_ERROR_WANT_WRITE:
                events = POLLOUT;
                break;
            case SSL_ERROR_SYSCALL:
                if (savedErrno == 0) return {IoStatus::eof, 0};
                throwRecvFailure(savedErrno);
            default:
                throw FetchError(FetchCode::recvError, "OpenSSL SSL_read: " + openSslError());
        }
        if (!waitForFd(socket_.get(), events, deadline)) return {IoStatus::timedOut, 0};
    }
}

IoStatus TlsTransport::writeAll(std::string_view data, const Deadline& deadline) {
    while (!data.empty()) {
        ERR_clear_error();
        std::size_t n = 0;
        const int rc = SSL_write_ex(ssl_.get(), data.data(), data.size(), &n);
        if (rc == 1) {
            data.remove_prefix(n);
            continue;
        }
        const int savedErrno = errno;
        const int error = SSL_get_error(ssl_.get(), rc);
        short events = 0;
        if (error == SSL_ERROR_WANT_READ) events = POLLIN;
        if (error == SSL_ERROR_WANT_WRITE) events = POLLOUT;
        if (events == 0) {
            if (error == SSL_ERROR_SYSCALL && savedErrno != 0) throwSendFailure(savedErrno);
            throw FetchError(FetchCode::sendError, "OpenSSL SSL_write: " + openSslError());
        }
        if (!waitForFd(socket_.get(), events, deadline)) return IoStatus::timedOut;
    }
    return IoStatus::done;
}

}  // namespace sockchat::http
