#include "service_connect.h"

#include <cstdio>

#include "connector.h"
#include "exit_codes.h"
#include "listener_lookup.h"
#include "sockchat/cli/usage.h"
#include "sockchat/tls/error.h"
#include "tls_handshake.h"

namespace sockctl {

std::optional<ServiceConnection> connectToService(sockchat::config::Service service,
                                                  const std::string& address,
                                                  const std::string& configPath,
                                                  const TlsFlags& tlsFlags, int* exitCode) {
    auto found = findListener(service, address, configPath, tlsFlags.tls);
    if (!found.endpoint) {
        std::fprintf(stderr, "sockctl: %s\n", found.error.c_str());
        *exitCode = found.error.rfind("bad address", 0) == 0 ? kExitUsage : kExitConfig;
        return std::nullopt;
    }
    const Endpoint& endpoint = *found.endpoint;
    std::shared_ptr<const sockchat::tls::ClientContext> context;
    if (endpoint.tls) {
        // Before connecting: a CA file that cannot be read is the user's to fix, not the
        // server's, and needs no network to find out.
        try {
            context =
                std::make_shared<const sockchat::tls::ClientContext>(tlsFlags.clientOptions());
        } catch (const sockchat::tls::TlsFileError& e) {
            std::fprintf(stderr, "sockctl: %s\n", e.what());
            *exitCode = kExitNoInput;
            return std::nullopt;
        }
    } else if (auto option = tlsFlags.givenOption()) {
        *exitCode = sockchat::cli::usageError(
            "sockctl",
            *option + " is for TLS connections: add --tls (" + endpoint.toString() +
                " is not a TLS listener of the config)",
            "sockctl " + std::string(sockchat::config::serviceName(service)));
        return std::nullopt;
    }
    std::string message;
    sockchat::net::Fd fd = connectNow(endpoint, &message);
    if (!fd) {
        std::fprintf(stderr, "sockctl: %s\n", message.c_str());
        *exitCode = kExitUnavailable;
        return std::nullopt;
    }
    if (!context) return ServiceConnection{endpoint, nullptr, SocketStream(std::move(fd))};
    TlsFailure failure;
    auto stream = handshakeTls(*context, std::move(fd), endpoint, &failure);
    if (!stream) {
        std::fprintf(stderr, "sockctl: %s\n", failure.message.c_str());
        *exitCode = failure.exitCode;
        return std::nullopt;
    }
    return ServiceConnection{endpoint, std::move(context), std::move(*stream)};
}

}  // namespace sockctl
