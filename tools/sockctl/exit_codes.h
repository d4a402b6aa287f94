#pragma once
// sockctl's exit codes. They follow sysexits(3) like sockchatd's, so scripts can tell "the
// daemon is not there" (69) from "you called me wrong" (64) from "the connection broke" (1).
#include "sockchat/cli/usage.h"

namespace sockctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // e.g. chat connection lost with --no-reconnect
inline constexpr int kExitUsage = sockchat::cli::kExitUsage;  // 64, EX_USAGE: bad arguments
inline constexpr int kExitUnavailable = 69;  // EX_UNAVAILABLE: cannot connect to sockchatd
inline constexpr int kExitConfig = 78;       // EX_CONFIG: the config file to read is invalid

}  // namespace sockctl
