#include "sockchat/tls/server_context.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sockchat/tls/error.h"

namespace sockchat::tls {
namespace {

// What open(2) says about a file OpenSSL would only call "system lib": the user learns
// "No such file or directory" or "Permission denied" (the daemon's user cannot read it).
void checkReadable(const std::string& path, const char* what) {
    if (path.empty()) throw TlsFileError(std::string("no ") + what + " file given");
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw TlsFileError(path + ": " + std::strerror(errno));
    ::close(fd);
}

// A private key anyone on the machine can read is as good as published (sshd refuses it too).
// Group-readable is fine: that is how the packaged daemon's user reads a key root owns.
void checkKeyPrivate(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw TlsFileError(path + ": " + std::strerror(errno));
    if (st.st_mode & (S_IROTH | S_IWOTH)) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        throw TlsFileError(path + ": private key is accessible by others (mode " +
                           std::string(mode) + "); chmod 0640 and chgrp it to the daemon's group");
    }
}

std::string asn1Time(const ASN1_TIME* time) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (bio == nullptr) return {};
    ASN1_TIME_print(bio, time);
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    std::string text(data, static_cast<std::size_t>(length > 0 ? length : 0));
    BIO_free(bio);
    return text;
}

std::string serialHex(const ASN1_INTEGER* serial) {
    BIGNUM* number = ASN1_INTEGER_to_BN(serial, nullptr);
    if (number == nullptr) return {};
    char* hex = BN_bn2hex(number);
    std::string text = hex ? hex : "";
    OPENSSL_free(hex);
    BN_free(number);
    return text;
}

int minVersion(const std::string& text) {
    return text == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
}

}  // namespace

std::shared_ptr<const ServerContext> ServerContext::load(const ServerSettings& settings) {
    auto context = std::make_shared<ServerContext>();
    context->settings_ = settings;
    ERR_clear_error();
    context->ctx_.reset(SSL_CTX_new(TLS_server_method()));
    SSL_CTX* ctx = context->ctx_.get();
    if (ctx == nullptr) throw TlsFileError("cannot create a TLS context: " + takeError());
    SSL_CTX_set_min_proto_version(ctx, minVersion(settings.min_version));
    // Renegotiation is a client-triggered handshake in the middle of a connection: CPU on
    // demand for an attacker, and nothing a line protocol needs.
    // A client that closes without close_notify has just left: its reason is "peer closed",
    // as on plain text (a line protocol has its own framing; nothing is cut silently).
    SSL_CTX_set_options(
        ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF);
    // Partial writes: the connection's output buffer resumes after WANT_WRITE like plain TCP.
    // Released buffers: an idle TLS connection does not keep 2 x 16 KiB of record buffers.
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    static const unsigned char kSessionContext[] = "sockchatd";
    SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
    if (!settings.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, settings.ciphers.c_str()) != 1)
        throw TlsFileError("tls.ciphers \"" + settings.ciphers +
                           "\": no usable cipher: " + takeError());
    if (!settings.ciphersuites.empty() &&
        SSL_CTX_set_ciphersuites(ctx, settings.ciphersuites.c_str()) != 1)
        throw TlsFileError("tls.ciphersuites \"" + settings.ciphersuites +
                           "\": no usable suite: " + takeError());

    checkReadable(settings.certificate, "certificate");
    if (SSL_CTX_use_certificate_chain_file(ctx, settings.certificate.c_str()) != 1)
        throw TlsFileError(settings.certificate + ": not a usable PEM certificate: " + takeError());
    checkReadable(settings.key, "key");
    checkKeyPrivate(settings.key);
    if (SSL_CTX_use_PrivateKey_file(ctx, settings.key.c_str(), SSL_FILETYPE_PEM) != 1) {
        // OpenSSL checks the pair while loading the key: say it in the operator's words.
        std::string reason = takeError();
        if (reason == "key values mismatch")
            throw TlsFileError(settings.key + ": does not match the certificate in " +
                               settings.certificate);
        throw TlsFileError(settings.key + ": not a usable PEM private key: " + reason);
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ERR_clear_error();
        throw TlsFileError(settings.key + ": does not match the certificate in " +
                           settings.certificate);
    }
    if (!settings.client_ca.empty()) {
        checkReadable(settings.client_ca, "client CA");
        if (SSL_CTX_load_verify_locations(ctx, settings.client_ca.c_str(), nullptr) != 1)
            throw TlsFileError(settings.client_ca + ": not a usable PEM CA file: " + takeError());
        if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(settings.client_ca.c_str()))
            SSL_CTX_set_client_CA_list(ctx, names);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    }
    if (X509* cert = SSL_CTX_get0_certificate(ctx)) {
        context->serial_ = serialHex(X509_get0_serialNumber(cert));
        context->notAfter_ = asn1Time(X509_get0_notAfter(cert));
        char subject[512];
        X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
        context->subject_ = subject;
    }
    ERR_clear_error();
    return context;
}

}  // namespace sockchat::tls
