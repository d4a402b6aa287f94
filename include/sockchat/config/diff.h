#pragma once
// What a reload changes: every setting printed as the config file writes it, compared key by
// key, so that `sockctl reload` can say "limits.max_connections: 1000 -> 2000" and
// "listen: +127.0.0.1:9000 (chat)".
#include <string>
#include <vector>

#include "sockchat/config/config.h"

namespace sockchat::config {

struct ConfigChange {
    std::string key;   // e.g. "limits.max_connections", or "listen"
    std::string text;  // "1000 -> 2000", or "+127.0.0.1:9000 (chat)" / "-[::1]:8001 (chat)"
    std::string line() const { return key + ": " + text; }
};

// Every setting as (key, value), values printed the way the file writes them (250ms, 64KiB).
std::vector<std::pair<std::string, std::string>> describeSettings(const Config& config);

// The changes from `before` to `after`, in config order; listeners added and removed last.
std::vector<ConfigChange> diffConfigs(const Config& before, const Config& after);

}  // namespace sockchat::config
