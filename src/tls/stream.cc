#include "sockchat/tls/stream.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "sockchat/tls/error.h"

namespace sockchat::tls {
namespace {

bool isIpLiteral(const std::string& host) {
    in6_addr v6{};
    in_addr v4{};
    const std::string address = host.substr(0, host.find('%'));
    return ::inet_pton(AF_INET6, address.c_str(), &v6) == 1 ||
           ::inet_pton(AF_INET, address.c_str(), &v4) == 1;
}

std::string nameLine(X509_NAME* name) {
    if (name == nullptr) return {};
    char text[512];
    X509_NAME_oneline(name, text, sizeof text);
    return text;
}

struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
};
using PeerCert = std::unique_ptr<X509, X509Free>;

}  // namespace

Stream Stream::accept(SSL_CTX* context, int fd) {
    SSL* ssl = SSL_new(context);
    if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
        SSL_free(ssl);
        throw std::runtime_error("cannot set up TLS: " + takeError());
    }
    SSL_set_accept_state(ssl);
    return Stream(ssl);
}

Stream Stream::connect(SSL_CTX* context, int fd, const std::string& host) {
    SSL* ssl = SSL_new(context);
    if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
        SSL_free(ssl);
        throw std::runtime_error("cannot set up TLS: " + takeError());
    }
    Stream stream(ssl);
    SSL_set_connect_state(ssl);
    const bool ip = isIpLiteral(host);
    // SNI carries names only (RFC 6066 forbids IP literals there).
    if (!ip) SSL_set_tlsext_host_name(ssl, host.c_str());
    if (SSL_CTX_get_verify_mode(context) != SSL_VERIFY_NONE) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        const std::string address = host.substr(0, host.find('%'));
        const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, address.c_str())
                          : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
        if (ok != 1) throw std::runtime_error("cannot set up the host name check for " + host);
    }
    return stream;
}

Io Stream::result(int rc, const char* operation) {
    const int savedErrno = errno;
    switch (SSL_get_error(ssl_.get(), rc)) {
        case SSL_ERROR_WANT_READ:
            return Io::wantRead;
        case SSL_ERROR_WANT_WRITE:
            return Io::wantWrite;
        case SSL_ERROR_ZERO_RETURN:
            ERR_clear_error();
            return Io::closed;
        case SSL_ERROR_SYSCALL: {
            errorLine_ = peekErrorLine();
            std::string reason = takeError();
            if (!reason.empty()) {
                error_ = reason;
                failure_ = Failure::protocol;
                return Io::failed;
            }
            // EOF without close_notify: the peer went away; not an attack on the stream's
            // integrity for a line protocol, where an unfinished line is simply not answered.
            if (savedErrno == 0) {
                if (!handshakeDone()) {
                    error_ = "connection closed during the handshake";
                    failure_ = Failure::eof;
                    return Io::failed;
                }
                return Io::closed;
            }
            error_ = std::strerror(savedErrno);
            failure_ = Failure::socket;
            socketErrno_ = savedErrno;
            return Io::failed;
        }
        default: {
            failure_ = Failure::protocol;
            errorLine_ = peekErrorLine();
            std::string reason = takeError();
            const long verify = SSL_get_verify_result(ssl_.get());
            if (!handshakeDone() && verify != X509_V_OK && SSL_is_server(ssl_.get()) == 0)
                reason = std::string("certificate verify failed: ") +
                         X509_verify_cert_error_string(verify);
            error_ = reason.empty() ? std::string(operation) + " failed" : reason;
            return Io::failed;
        }
    }
}

Io Stream::handshake() {
    ERR_clear_error();
    errno = 0;
    const int rc = SSL_do_handshake(ssl_.get());
    if (rc == 1) return Io::ok;
    return result(rc, "handshake");
}

Io Stream::read(char* buffer, std::size_t size, std::size_t* n) {
    ERR_clear_error();
    errno = 0;
    *n = 0;
    if (SSL_read_ex(ssl_.get(), buffer, size, n) == 1) return Io::ok;
    return result(0, "read");
}

Io Stream::write(const char* data, std::size_t size, std::size_t* n) {
    ERR_clear_error();
    errno = 0;
    *n = 0;
    if (SSL_write_ex(ssl_.get(), data, size, n) == 1) return Io::ok;
    return result(0, "write");
}

void Stream::shutdown() {
    if (shutdownSent_ || !handshakeDone()) return;
    shutdownSent_ = true;
    ERR_clear_error();
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
}

bool Stream::hasBufferedInput() const {
    return SSL_pending(ssl_.get()) > 0;
}

std::uint64_t Stream::wireBytesWritten() const {
    BIO* bio = SSL_get_wbio(ssl_.get());
    return bio ? BIO_number_written(bio) : 0;
}

std::string Stream::verifyFailure() const {
    const long verify = SSL_get_verify_result(ssl_.get());
    if (verify == X509_V_OK || SSL_get_verify_mode(ssl_.get()) == SSL_VERIFY_NONE) return {};
    return X509_verify_cert_error_string(verify);
}

bool Stream::handshakeDone() const {
    return SSL_is_init_finished(ssl_.get()) == 1;
}

std::string Stream::serverName() const {
    const char* name = SSL_get_servername(ssl_.get(), TLSEXT_NAMETYPE_host_name);
    return name ? name : "";
}

std::string Stream::version() const {
    return SSL_get_version(ssl_.get());
}

std::string Stream::cipher() const {
    const char* name = SSL_get_cipher_name(ssl_.get());
    return name ? name : "";
}

std::string Stream::peerCommonName() const {
    PeerCert cert(SSL_get1_peer_certificate(ssl_.get()));
    if (!cert) return {};
    X509_NAME* subject = X509_get_subject_name(cert.get());
    const int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (at < 0) return {};
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at));
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, data);
    if (length < 0) return {};
    std::string name(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length));
    OPENSSL_free(utf8);
    return name;
}

std::string Stream::peerSubject() const {
    PeerCert cert(SSL_get1_peer_certificate(ssl_.get()));
    return cert ? nameLine(X509_get_subject_name(cert.get())) : std::string();
}

std::string Stream::peerIssuer() const {
    PeerCert cert(SSL_get1_peer_certificate(ssl_.get()));
    return cert ? nameLine(X509_get_issuer_name(cert.get())) : std::string();
}

}  // namespace sockchat::tls
