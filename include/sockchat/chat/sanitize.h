#pragma once
// Text from one user is shown on other users' terminals. sanitizeText makes it safe to print:
// invalid UTF-8 becomes U+FFFD, C0/C1 control characters and whole ANSI/ECMA-48 escape sequences
// (CSI, OSC/DCS/APC/PM/SOS strings, nF such as ESC ( 0, and two-byte ESC x) are removed. A tab
// becomes a space rather than being dropped, so pasted columns stay readable, and every output
// line stays one line. A user must not be able to clear, recolour or retitle someone else's
// terminal. Idempotent.
#include <string>
#include <string_view>

namespace sockchat::chat {

std::string sanitizeText(std::string_view input);

}  // namespace sockchat::chat
