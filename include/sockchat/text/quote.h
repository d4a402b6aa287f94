#pragma once
// Quoting a value that came from outside (a config file, a command line) inside a one-line error
// message. The message must stay one readable line whatever the value holds: control bytes
// (newlines, NUL, ESC) are written as \xNN, quotes and backslashes escaped, and a long value is
// cut with "..." so the message still shows file, line and key up front.
#include <cstddef>
#include <string>
#include <string_view>

namespace sockchat::text {

inline constexpr std::size_t kMaxQuotedBytes = 80;

// "\"4 KB\"" for 4 KB; "\"a\\x0ab\"" for a, newline, b.
std::string quoteForMessage(std::string_view value);

// The text with control bytes and bytes that are not well-formed UTF-8 written as \xNN, and
// nothing else changed: for the parts of a message that are ours but may carry outside bytes
// (a key as the file spells it, a parser's own error text).
std::string escapeForMessage(std::string_view text);

}  // namespace sockchat::text
