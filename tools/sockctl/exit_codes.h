#pragma once
// sockctl's exit codes. They follow sysexits(3) like sockchatd's, so scripts can tell "the
// daemon is not there" (69) from "you called me wrong" (64) from "the connection broke" or "the
// daemon said no" (1) from "you may not" (77).
#include "sockchat/cli/usage.h"

namespace sockctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // chat connection lost with --no-reconnect; admin ok:false
inline constexpr int kExitUsage = sockchat::cli::kExitUsage;  // 64, EX_USAGE: bad arguments
inline constexpr int kExitUnavailable = 69;   // EX_UNAVAILABLE: cannot connect to sockchatd
inline constexpr int kExitNoPermission = 77;  // EX_NOPERM: the admin socket refuses this user
// EX_CONFIG: the config file to read is invalid, or `reload` found the daemon's new one invalid
inline constexpr int kExitConfig = 78;

}  // namespace sockctl
