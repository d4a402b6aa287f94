#pragma once
// ServerContext: one TLS listener's certificate, key and policy, read from files. Made at
// startup and again on every reload, so a renewed certificate reaches new connections without
// a restart; connections hold a shared_ptr to the context they were accepted with.
#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "sockchat/tls/server_settings.h"

namespace sockchat::tls {

class ServerContext {
  public:
    // Reads and checks everything; throws TlsFileError ("FILE: REASON") when a file is missing,
    // unreadable, not PEM, the key does not match the certificate, or the key is readable by
    // others (as sshd refuses it).
    static std::shared_ptr<const ServerContext> load(const ServerSettings& settings);

    SSL_CTX* get() const { return ctx_.get(); }
    const ServerSettings& settings() const { return settings_; }
    // The certificate's serial (hex) and notAfter, for the log line that says what was loaded.
    const std::string& serial() const { return serial_; }
    const std::string& notAfter() const { return notAfter_; }
    const std::string& subject() const { return subject_; }

  private:
    struct Free {
        void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
    };
    std::unique_ptr<SSL_CTX, Free> ctx_;
    ServerSettings settings_;
    std::string serial_, notAfter_, subject_;
};

}  // namespace sockchat::tls
