#pragma once
// The client side's SSL_CTX, shared by sockfetch and sockctl: verification like curl (the
// system store, or --cacert instead of it; -k turns it off), TLS 1.2 at least, and an optional
// client certificate (--cert/--key). Host names are checked per connection (Stream::connect).
#include <openssl/ssl.h>

#include <memory>
#include <string>

namespace sockchat::tls {

struct ClientOptions {
    bool verifyPeer = true;  // false with -k/--insecure
    std::string caFile;      // --cacert: replaces the system store when set
    std::string certFile;    // --cert: a client certificate (PEM, may hold the key too)
    std::string keyFile;     // --key: its key, when not in certFile
};

class ClientContext {
  public:
    // Throws TlsFileError naming the file when the CA file, certificate or key cannot be used.
    explicit ClientContext(const ClientOptions& options);
    SSL_CTX* get() const { return ctx_.get(); }
    bool verifiesPeer() const { return verifyPeer_; }

  private:
    struct Free {
        void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
    };
    std::unique_ptr<SSL_CTX, Free> ctx_;
    bool verifyPeer_;
};

}  // namespace sockchat::tls
