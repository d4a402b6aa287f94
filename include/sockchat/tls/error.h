#pragma once
// OpenSSL's error queue as text, for the one-line messages users read.
#include <stdexcept>
#include <string>

namespace sockchat::tls {

// The oldest queued OpenSSL error as its reason ("wrong version number", "no such file"), or ""
// when none is queued. Clears the queue either way, so the next failure starts clean.
std::string takeError();
// The same error in OpenSSL's full form, "error:0A00010B:SSL routines::wrong version number",
// which curl prints and sockfetch imitates.
std::string takeErrorLine();
// The same line, leaving the queue as it is (for takeError() to read next).
std::string peekErrorLine();

// A certificate, key or CA file that cannot be used; what() names the file and OpenSSL's reason.
class TlsFileError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

}  // namespace sockchat::tls
