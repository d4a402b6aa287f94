#include "sockchat/tls/client_context.h"

#include <openssl/err.h>

#include "sockchat/tls/error.h"

namespace sockchat::tls {

ClientContext::ClientContext(const ClientOptions& options)
    : ctx_(SSL_CTX_new(TLS_client_method())), verifyPeer_(options.verifyPeer) {
    if (!ctx_) throw TlsFileError("cannot create a TLS context: " + takeError());
    SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
    // Servers that close without close_notify are common; the protocol's own framing
    // (Content-Length, chunked, whole lines) is what detects truncation, as in curl.
    SSL_CTX_set_options(ctx_.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
    // Partial writes let a caller resume after WANT_WRITE with the same loop as plain TCP.
    SSL_CTX_set_mode(ctx_.get(),
                     SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (!options.certFile.empty()) {
        const std::string& keyFile = options.keyFile.empty() ? options.certFile : options.keyFile;
        if (SSL_CTX_use_certificate_chain_file(ctx_.get(), options.certFile.c_str()) != 1)
            throw TlsFileError(options.certFile +
                               ": cannot use the client certificate: " + takeError());
        if (SSL_CTX_use_PrivateKey_file(ctx_.get(), keyFile.c_str(), SSL_FILETYPE_PEM) != 1)
            throw TlsFileError(keyFile + ": cannot use the client key: " + takeError());
        if (SSL_CTX_check_private_key(ctx_.get()) != 1)
            throw TlsFileError(keyFile + ": the key does not match the certificate " +
                               options.certFile);
    }
    if (!options.verifyPeer) {
        SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_NONE, nullptr);
        return;
    }
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
    if (!options.caFile.empty()) {
        if (SSL_CTX_load_verify_locations(ctx_.get(), options.caFile.c_str(), nullptr) != 1) {
            ERR_clear_error();
            throw TlsFileError("error setting certificate file: " + options.caFile);
        }
    } else if (SSL_CTX_set_default_verify_paths(ctx_.get()) != 1) {
        ERR_clear_error();
    }
}

}  // namespace sockchat::tls
