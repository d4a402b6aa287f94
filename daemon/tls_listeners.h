#pragma once
// Reading every TLS listener's certificate and key: at startup, on reload, and for
// `sockchatd -t`, which checks the files as the daemon would read them.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sockchat/config/config.h"
#include "sockchat/tls/server_context.h"

namespace sockchatd {

struct TlsLoaded {
    sockchat::config::Listener listener;
    std::shared_ptr<const sockchat::tls::ServerContext> context;
};

// One context per listener with a tls block, in config order; nullopt with *error ("listen[1].tls
// (0.0.0.0:6697): /etc/sockchatd/tls/privkey.pem: No such file or directory") when one fails.
std::optional<std::vector<TlsLoaded>> loadTlsContexts(const sockchat::config::Config& config,
                                                      std::string* error);

}  // namespace sockchatd
