#pragma once
// The first step of every sockctl command that talks to a service: find its listener (argument,
// config, default), connect once, and with TLS run the handshake. Failures are printed as one
// line on stderr and mapped to sockctl's exit codes, so every subcommand reports them the same
// way.
#include <memory>
#include <optional>
#include <string>

#include "endpoint.h"
#include "sockchat/config/config.h"
#include "sockchat/tls/client_context.h"
#include "socket_stream.h"
#include "tls_flags.h"

namespace sockctl {

struct ServiceConnection {
    Endpoint endpoint;  // endpoint.tls: the stream speaks TLS
    // The TLS settings, kept for reconnecting; null on a plain connection.
    std::shared_ptr<const sockchat::tls::ClientContext> tls;
    SocketStream stream;
};

// The connected service, or nullopt with the message printed and *exitCode set (64 bad address
// or a TLS option without TLS, 66 unreadable --cacert/--cert/--key, 69 cannot connect or the
// TLS handshake failed, 77 the certificate failed verification, 78 unreadable config).
std::optional<ServiceConnection> connectToService(sockchat::config::Service service,
                                                  const std::string& address,
                                                  const std::string& configPath,
                                                  const TlsFlags& tlsFlags, int* exitCode);

}  // namespace sockctl
