#pragma once
// Sockets handed over by systemd (socket activation). Each passed socket is matched to a service
// by its FileDescriptorName= (`echo` or `chat`); passed sockets replace the config's listeners
// of that service.
#include <string>
#include <vector>

#include "sockchat/config/config.h"
#include "sockchat/net/fd.h"

namespace sockchatd {

struct PassedSocket {
    sockchat::net::Fd fd;
    sockchat::config::Service service;
};

struct ActivationResult {
    std::vector<PassedSocket> sockets;
    std::string error;  // non-empty: a passed fd we cannot use (unknown name, not a listener)
};

// Takes ownership of the fds systemd passed (LISTEN_FDS/LISTEN_FDNAMES) and unsets the
// variables so children do not inherit them. No sockets passed: empty result.
ActivationResult takeSystemdSockets();

}  // namespace sockchatd
