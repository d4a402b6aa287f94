#pragma once
// sockctl's exit codes. They follow sysexits(3) like sockchatd's, so scripts can tell "the
// daemon is not there" (69) from "you called me wrong" (64) from "the connection broke" or "the
// daemon said no" (1) from "you may not" (77), and a certificate that failed verification (77:
// retrying cannot help, as with a refused permission) from a port that does not speak TLS (69).
#include "sockchat/cli/usage.h"

namespace sockctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // chat connection lost with --no-reconnect; admin ok:false
inline constexpr int kExitUsage = sockchat::cli::kExitUsage;  // 64, EX_USAGE: bad arguments
inline constexpr int kExitNoInput = 66;  // EX_NOINPUT: --cacert, --cert or --key unusable
// EX_UNAVAILABLE: cannot connect to sockchatd (also: the TLS handshake failed for a reason other
// than the certificate, e.g. a plain port)
inline constexpr int kExitUnavailable = 69;
// EX_NOPERM: the admin socket refuses this user, or the server's TLS certificate failed
// verification (untrusted, expired, wrong name)
inline constexpr int kExitNoPermission = 77;
// EX_CONFIG: the config file to read is invalid, or `reload` found the daemon's new one invalid
inline constexpr int kExitConfig = 78;

}  // namespace sockctl
