#pragma once
// Reading and validating the YAML config. All validation lives here, so every error is reported
// the same way: file, line, column and key path, e.g.
//   /etc/sockchatd/sockchatd.yaml:7:3: limits.max_line_bytes: "4 KB" is not a size (use e.g. 4KiB)
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sockchat/config/config.h"

namespace sockchat::config {

struct ConfigError {
    std::string file;
    int line = 0;     // 1-based; 0 = the error has no position (e.g. the file cannot be read)
    int column = 0;   // 1-based
    std::string key;  // key path, e.g. "limits.max_line_bytes" or "listen[1].address"; may be empty
    std::string message;

    // "FILE:LINE:COL: KEY: MESSAGE", leaving out the position and the key when they are absent.
    std::string toString() const;
    friend bool operator==(const ConfigError&, const ConfigError&) = default;
};

// Exactly one of config and error is set.
struct LoadResult {
    std::optional<Config> config;
    std::optional<ConfigError> error;
};

// Limits on what a config may be, documented in sockchatd.yaml(5). A real config is a few KiB
// with a handful of listeners; the caps keep a wrong file (or a hostile one) from costing
// unbounded memory and time, at startup and at every reload.
inline constexpr std::size_t kMaxConfigBytes = 1024 * 1024;
inline constexpr std::size_t kMaxListeners = 1024;

// Reads and validates a config file. An empty file (or only comments) gives all defaults. Only a
// regular file of at most kMaxConfigBytes is read: a device, FIFO or socket is refused unread.
LoadResult loadConfigFile(const std::string& path);

// Validates YAML text; source_name stands in for the file name in errors. Text larger than
// kMaxConfigBytes is refused.
LoadResult loadConfigString(std::string_view yaml, const std::string& source_name);

// The listeners used when the config has no `listen` key: echo on 127.0.0.1:8000, chat on
// 127.0.0.1:8001 and [::1]:8001 (loopback only).
std::vector<Listener> defaultListeners();

// The built-in default config: the exact text of etc/sockchatd.yaml, embedded at build time.
std::string_view embeddedDefaultYaml();

// embeddedDefaultYaml(), loaded under the source name "<built-in default>".
LoadResult loadEmbeddedDefault();

// The loaded built-in default; throws std::logic_error if it does not validate (a build bug that
// the unit tests catch).
Config embeddedDefaultConfig();

}  // namespace sockchat::config
