#pragma once
// Durations and sizes as an operator reads them in sockctl's admin output: the two most
// significant units only ("2h05m", "33.4 MiB"), because a table of exact seconds and bytes is
// hard to scan and the exact figures are one --json away.
#include <string>

namespace sockctl {

// "45s", "3m12s", "2h05m", "3d04h" (truncated, never rounded up: a client connected for 59.9 s
// has not been there a minute). Negative or non-finite input counts as 0.
std::string humanDuration(double seconds);

// "512 B", "1.2 KiB", "33.4 MiB", "2.0 GiB" (binary units, one decimal above 1 KiB).
std::string humanSize(double bytes);

}  // namespace sockctl
