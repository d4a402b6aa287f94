#pragma once
// The client's TLS handshake on a freshly connected socket, for chat (first connection and
// every reconnect) and echo alike: a bounded poll loop, and the one-line messages and exit codes
// for its failures (77 the certificate, 69 anything else).
#include <chrono>
#include <optional>
#include <string>

#include "endpoint.h"
#include "sockchat/net/fd.h"
#include "sockchat/tls/client_context.h"
#include "socket_stream.h"

namespace sockctl {

inline constexpr std::chrono::seconds kTlsHandshakeTimeout{10};

struct TlsFailure {
    int exitCode = 0;     // kExitNoPermission (verification) or kExitUnavailable
    std::string message;  // "127.0.0.1:6697: TLS certificate verify failed: ... (use --cacert ..."
    bool certificate() const;  // the certificate was the reason: retrying cannot help
};

// Runs the handshake with endpoint.host (sent as SNI when it is a name, checked against the
// certificate unless -k). The TLS stream, or nullopt with *failure filled in.
std::optional<SocketStream> handshakeTls(const sockchat::tls::ClientContext& context,
                                         sockchat::net::Fd fd, const Endpoint& endpoint,
                                         TlsFailure* failure,
                                         std::chrono::milliseconds timeout = kTlsHandshakeTimeout);

// "(TLSv1.3, TLS_AES_256_GCM_SHA384)": how chat announces a TLS connection.
std::string describeTls(const sockchat::tls::Stream& stream);

}  // namespace sockctl
