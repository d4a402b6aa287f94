#include "listener_lookup.h"

#include <sys/stat.h>

#include "listener_choice.h"
#include "sockchat/config/loader.h"

namespace sockctl {
namespace {

using sockchat::config::Service;

// The listener of `service` in the config (chooseListener says which).
LookupResult fromConfig(Service service, const std::string& configPath, bool preferTls) {
    const std::string path = configFileToRead(configPath);
    std::vector<sockchat::config::Listener> listeners;
    if (path.empty()) {
        listeners = sockchat::config::defaultListeners();
    } else {
        auto loaded = sockchat::config::loadConfigFile(path);
        if (!loaded.config) return {std::nullopt, loaded.error->toString()};
        listeners = loaded.config->listen;
    }
    const char* name = sockchat::config::serviceName(service);
    if (const auto* l = chooseListener(listeners, service, preferTls)) {
        Endpoint e;
        e.host = l->address.ipString();
        e.port = l->address.port();
        e.tls = l->tls.has_value();
        if (e.port == 0)
            return {std::nullopt,
                    path + ": the " + name + " listener has port 0 (ephemeral); give HOST:PORT"};
        if (e.host == "0.0.0.0") e.host = "127.0.0.1";
        if (e.host == "::") e.host = "::1";
        return {e, {}};
    }
    return {std::nullopt, (path.empty() ? std::string("the built-in default") : path) + " has no " +
                              name + " listener; give HOST:PORT"};
}

}  // namespace

std::string configFileToRead(const std::string& configPath) {
    struct stat st {};
    if (configPath.empty() && ::stat(kSystemConfig, &st) == 0) return kSystemConfig;
    return configPath;
}

LookupResult findListener(Service service, const std::string& address,
                          const std::string& configPath, bool wantTls) {
    Endpoint wanted;
    wanted.tls = wantTls;
    if (!address.empty()) {
        std::string error;
        auto parsed = parseEndpoint(address, &error);
        if (!parsed) return {std::nullopt, "bad address \"" + address + "\": " + error};
        wanted.host = parsed->host;
        wanted.port = parsed->port;
        if (!wanted.host.empty() && wanted.port != 0) return {wanted, {}};
    }
    LookupResult configured = fromConfig(service, configPath, wantTls);
    if (!configured.endpoint) return configured;
    if (wanted.host.empty()) wanted.host = configured.endpoint->host;
    // The listener's TLS comes with its port: a port the user gave may be another listener's.
    if (wanted.port == 0) {
        wanted.port = configured.endpoint->port;
        wanted.tls = wantTls || configured.endpoint->tls;
    }
    return {wanted, {}};
}

}  // namespace sockctl
