#pragma once
// What a reply from the admin socket means for sockctl's exit status, and what to tell the
// operator on stderr: ok:true is 0; the daemon's "permission denied" is 77, like a socket whose
// mode refuses us; a reload whose new config is invalid is 78; any other ok:false is 1. Kept
// apart from the I/O so that the mapping is unit-tested, and the same with --json.
#include <string>

#include "admin_format.h"

namespace sockctl::admin {

struct Verdict {
    int exitCode = 0;
    std::string message;  // for stderr: whole lines, each "sockctl: ...\n"; empty when ok
};

Verdict judgeReply(const Json& reply, const std::string& socketPath);

// "permission denied on PATH: run as root or as a member of the sockchatd group": said both
// when the socket's mode refuses us and when the daemon does.
std::string permissionDeniedMessage(const std::string& socketPath);

}  // namespace sockctl::admin
