#pragma once
// A bound listening socket and the service it serves. Owned by the Server; every worker watches
// it (EPOLLEXCLUSIVE) and accepts from it, then places each newcomer on the least loaded worker.
#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "sockchat/config/config.h"
#include "sockchat/net/address.h"
#include "sockchat/net/fd.h"
#include "sockchat/tls/server_context.h"

namespace sockchatd {

struct ListenSocket {
    sockchat::net::Fd fd;
    sockchat::config::Service service;
    sockchat::net::SocketAddress address;  // the bound address (real port even if 0 was asked)
    // address.toString(), used in logs. Shared: every connection accepted here names it, and
    // may outlive the listener (a reload closes listeners whose entry went away).
    std::shared_ptr<const std::string> name;
    // The config entry it was bound for; none for a socket systemd passed in. A reload keeps the
    // listeners whose entry stays, binds new entries and closes the ones that went away.
    std::optional<sockchat::config::Listener> configured;
    // Set on a TLS listener: the certificate and key new connections get. A reload swaps in a
    // freshly read one while workers accept (connections keep the one they started with).
    std::atomic<std::shared_ptr<const sockchat::tls::ServerContext>> tls;
};

}  // namespace sockchatd
