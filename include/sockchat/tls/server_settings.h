#pragma once
// What a TLS listener's `tls:` block says (config), before any file is read: the loader checks
// its shape, tls::ServerContext reads the files (at startup and on every reload).
#include <chrono>
#include <string>

namespace sockchat::tls {

struct ServerSettings {
    std::string certificate;          // PEM: the server certificate, then its chain (fullchain.pem)
    std::string key;                  // PEM private key; must not be readable by others
    std::string client_ca;            // "" = no client certificates; else required, verified by it
    std::string min_version = "1.2";  // "1.2" or "1.3"
    std::string ciphers;              // TLS 1.2 cipher list; "" = OpenSSL's default
    std::string ciphersuites;         // TLS 1.3 suites; "" = OpenSSL's default
    std::chrono::milliseconds handshake_timeout{10000};
    friend bool operator==(const ServerSettings&, const ServerSettings&) = default;
};

}  // namespace sockchat::tls
