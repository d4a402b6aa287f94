#pragma once
// The first step of every sockctl command that talks to a service: find its listener (argument,
// config, default) and connect once. Failures are printed as one line on stderr and mapped to
// sockctl's exit codes, so every subcommand reports them the same way.
#include <optional>
#include <string>

#include "endpoint.h"
#include "sockchat/config/config.h"
#include "sockchat/net/fd.h"

namespace sockctl {

struct ServiceConnection {
    Endpoint endpoint;
    sockchat::net::Fd fd;
};

// The connected service, or nullopt with the message printed and *exitCode set
// (64 bad address, 78 unreadable config, 69 cannot connect).
std::optional<ServiceConnection> connectToService(sockchat::config::Service service,
                                                  const std::string& address,
                                                  const std::string& configPath, int* exitCode);

}  // namespace sockctl
