#pragma once
// A bound listening socket and the service it serves. Owned by the Server; every worker watches
// it (EPOLLEXCLUSIVE) and accepts from it.
#include <optional>
#include <string>

#include "sockchat/config/config.h"
#include "sockchat/net/address.h"
#include "sockchat/net/fd.h"

namespace sockchatd {

struct ListenSocket {
    sockchat::net::Fd fd;
    sockchat::config::Service service;
    sockchat::net::SocketAddress address;  // the bound address (real port even if 0 was asked)
    std::string name;                      // address.toString(), used in logs
    // The config entry it was bound for; none for a socket systemd passed in. A reload keeps the
    // listeners whose entry stays, binds new entries and closes the ones that went away.
    std::optional<sockchat::config::Listener> configured;
};

}  // namespace sockchatd
