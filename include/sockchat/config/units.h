#pragma once
// Human-friendly durations ("250ms", "5s", "10m", "1h") and sizes ("4096", "64KiB", "1MiB") as
// written in the config file, and their canonical printed form for logging the running config.
// Parsing is strict: an integer and a unit, no spaces, no fractions, no SI (KB/MB) units, so a
// value always means exactly one thing.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sockchat::config {

// Parses a duration: integer + one of ms, s, m, h; a bare "0" is allowed (it is unambiguous), any
// other bare number is not. On failure returns nullopt and, if error is non-null, sets a short
// reason, e.g. `"5" is not a duration (use e.g. 250ms, 5s, 10m)` or `"...h" is too large`.
std::optional<std::chrono::milliseconds> parseDuration(std::string_view text,
                                                       std::string* error = nullptr);

// Parses a size in bytes: a bare integer, or integer + one of B, KiB, MiB, GiB (powers of 1024).
// On failure returns nullopt and sets e.g. `"4 KB" is not a size (use e.g. 4KiB)`.
std::optional<std::uint64_t> parseSize(std::string_view text, std::string* error = nullptr);

// Largest unit that represents the value exactly: 0 -> "0", 200 -> "200ms", 5000 -> "5s",
// 600000 -> "10m", 3600000 -> "1h", 1500 -> "1500ms". Negative values print as "-5s".
std::string formatDuration(std::chrono::milliseconds duration);

// Largest binary unit that represents the value exactly: 4096 -> "4KiB", 1048576 -> "1MiB",
// 1000 -> "1000" (bare bytes). The result parses back to the same value with parseSize().
std::string formatSize(std::uint64_t bytes);

}  // namespace sockchat::config
