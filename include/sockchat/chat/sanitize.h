#pragma once
// Text from one user is shown on other users' terminals. sanitizeText makes it safe to print:
// invalid UTF-8 becomes U+FFFD, C0/C1 control characters and ANSI escape sequences (CSI, OSC,
// and two-byte ESC sequences) are removed, a tab becomes a space. A user must not be able to
// clear, recolour or retitle someone else's terminal.
#include <string>
#include <string_view>

namespace sockchat::chat {

std::string sanitizeText(std::string_view input);

}  // namespace sockchat::chat
