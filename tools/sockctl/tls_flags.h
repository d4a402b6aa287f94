#pragma once
// The TLS options `sockctl chat` and `sockctl echo` share (--tls, --cacert, -k, --cert, --key),
// added to both the same way and turned into the shared module's ClientOptions.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "sockchat/tls/client_context.h"

namespace sockctl {

struct TlsFlags {
    bool tls = false;       // --tls; TLS is also used when the config's listener has a `tls:` block
    bool insecure = false;  // -k
    std::string caFile, certFile, keyFile;

    // The first TLS option given besides --tls ("--cacert"), or nullopt: such an option makes no
    // sense on a plain connection, and saying so beats ignoring it.
    std::optional<std::string> givenOption() const;
    sockchat::tls::ClientOptions clientOptions() const;
};

void addTlsOptions(CLI::App& command, TlsFlags& flags);

// What the --help footers say about TLS failures' exit codes.
inline constexpr const char* kTlsExitCodes =
    "66 unreadable --cacert, --cert or --key, 69 cannot connect (or the TLS handshake failed, "
    "or the port speaks TLS and --tls is missing), "
    "77 the server's TLS certificate failed verification";

}  // namespace sockctl
