#pragma once
// Finding a sockchatd listener when the user did not name one: sockctl reads the same config the
// daemon reads (-c FILE, else /etc/sockchatd/sockchatd.yaml if it exists, else the built-in
// default), so `sockctl chat` just works on a machine where sockchatd runs with its config.
#include <optional>
#include <string>

#include "endpoint.h"
#include "sockchat/config/config.h"

namespace sockctl {

inline constexpr const char* kSystemConfig = "/etc/sockchatd/sockchatd.yaml";

struct LookupResult {
    std::optional<Endpoint> endpoint;
    std::string error;  // set when endpoint is not; already names the file
};

// The config file sockctl reads: configPath (-c FILE) if given, else the system config if it
// exists, else "" (the built-in default). The admin socket is looked up by the same rule.
std::string configFileToRead(const std::string& configPath);

// The endpoint sockctl should use for `service`. `address` is the user's HOST[:PORT] argument
// (may be empty); the config is only read for the parts the argument leaves out. A wildcard
// listener (0.0.0.0, [::]) is reached through the matching loopback address.
// The endpoint speaks TLS when wantTls (--tls; the config's TLS listener of the service is then
// preferred), or when its port comes from a config listener with a `tls:` block.
LookupResult findListener(sockchat::config::Service service, const std::string& address,
                          const std::string& configPath, bool wantTls = false);

}  // namespace sockctl
