#pragma once
// A bound listening socket and the service it serves. Owned by the Server; every worker watches
// it (EPOLLEXCLUSIVE) and accepts from it.
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
};

}  // namespace sockchatd
