#pragma once
// TLS over a connected TCP socket with OpenSSL: SNI, chain verification against the system
// store or a given CA file, host name (or IP address) verification, and curl's exit codes for
// the ways a handshake fails.
#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "sockchat/http/deadline.h"
#include "sockchat/http/trace.h"
#include "sockchat/http/transport.h"
#include "sockchat/net/fd.h"

namespace sockchat::http {

struct TlsOptions {
    bool verifyPeer = true;  // false with -k/--insecure
    std::string caFile;      // --cacert: replaces the system store when set
};

// The SSL_CTX shared by every connection of one fetch (redirects reuse it). Throws
// FetchError sslCacertBadFile (77) when the CA file cannot be loaded.
class TlsContext {
  public:
    explicit TlsContext(const TlsOptions& options);
    SSL_CTX* get() const { return ctx_.get(); }
    bool verifyPeer() const { return verifyPeer_; }

  private:
    struct Free {
        void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
    };
    std::unique_ptr<SSL_CTX, Free> ctx_;
    bool verifyPeer_;
};

class TlsTransport final : public Transport {
  public:
    // Runs the handshake with host (name or IP literal). Throws FetchError: sslConnectError
    // (35), peerFailedVerification (60), operationTimedOut (28) when deadline passes.
    TlsTransport(const TlsContext& context, net::Fd socket, const std::string& host,
                 std::uint16_t port, const Deadline& deadline, const Trace& trace);

    ReadResult read(std::span<char> buffer, const Deadline& deadline) override;
    IoStatus writeAll(std::string_view data, const Deadline& deadline) override;

  private:
    struct Free {
        void operator()(SSL* ssl) const { SSL_free(ssl); }
    };
    // Declared before ssl_ so the SSL object, which uses the fd, is freed first.
    net::Fd socket_;
    std::unique_ptr<SSL, Free> ssl_;
};

}  // namespace sockchat::http
