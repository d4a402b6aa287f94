#include "tls_listeners.h"

#include "sockchat/tls/error.h"

namespace sockchatd {

std::optional<std::vector<TlsLoaded>> loadTlsContexts(const sockchat::config::Config& config,
                                                      std::string* error) {
    std::vector<TlsLoaded> loaded;
    for (std::size_t i = 0; i < config.listen.size(); ++i) {
        const auto& wanted = config.listen[i];
        if (!wanted.tls) continue;
        try {
            loaded.push_back({wanted, sockchat::tls::ServerContext::load(*wanted.tls)});
        } catch (const sockchat::tls::TlsFileError& e) {
            *error = "listen[" + std::to_string(i) + "].tls (" + wanted.address.toString() +
                     "): " + e.what();
            return std::nullopt;
        }
    }
    return loaded;
}

}  // namespace sockchatd
