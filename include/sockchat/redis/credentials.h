#pragma once
// The Redis AUTH secret, read at startup from cluster.password_file (never from the YAML, never
// logged). The file holds one line: "SECRET" (AUTH SECRET, the "default" user) or "USER:SECRET"
// (AUTH USER SECRET, an ACL user), split at the first ':'. A secret that itself contains ':' is
// therefore written with its user: "default:SE:CRET".
#include <optional>
#include <string>

namespace sockchat::redis {

struct Credentials {
    std::string username;  // "" = AUTH with the password alone
    std::string password;
    friend bool operator==(const Credentials&, const Credentials&) = default;
};

// Reads the password file at `path`. One trailing newline is dropped. Errors (nullopt, and
// *error set to "PATH: REASON", never quoting the secret): the file cannot be opened or read, is
// not a regular file, is readable by others (mode & 0004, as sshd refuses such key files), is
// larger than 64KiB, is empty, holds more than one line, or has an empty user or password
// around the ':'. Reading the file is the whole check: it is not called by `sockchatd -t`.
std::optional<Credentials> readCredentials(const std::string& path, std::string* error = nullptr);

}  // namespace sockchat::redis
