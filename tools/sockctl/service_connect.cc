#include "service_connect.h"

#include <cstdio>

#include "connector.h"
#include "exit_codes.h"
#include "listener_lookup.h"

namespace sockctl {

std::optional<ServiceConnection> connectToService(sockchat::config::Service service,
                                                  const std::string& address,
                                                  const std::string& configPath, int* exitCode) {
    auto found = findListener(service, address, configPath);
    if (!found.endpoint) {
        std::fprintf(stderr, "sockctl: %s\n", found.error.c_str());
        *exitCode = found.error.rfind("bad address", 0) == 0 ? kExitUsage : kExitConfig;
        return std::nullopt;
    }
    std::string message;
    sockchat::net::Fd fd = connectNow(*found.endpoint, &message);
    if (!fd) {
        std::fprintf(stderr, "sockctl: %s\n", message.c_str());
        *exitCode = kExitUnavailable;
        return std::nullopt;
    }
    return ServiceConnection{std::move(*found.endpoint), std::move(fd)};
}

}  // namespace sockctl
