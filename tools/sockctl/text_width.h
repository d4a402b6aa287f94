#pragma once
// How many terminal columns text takes, for wrapping chat lines and for finding where libedit's
// edit area starts. Terminals draw East Asian wide characters (CJK, most emoji) in two columns
// and combining marks in none; escape sequences (colours) take no room at all.
#include <cstddef>
#include <string_view>

namespace sockctl {

// Columns of one code point: wcwidth() where the locale knows it, else an approximation that
// does not depend on the locale (sockctl may run under LANG=C with UTF-8 chat text).
int codepointWidth(char32_t cp);

// Bytes of the escape sequence (CSI "ESC [ ... final", or ESC + one byte) at text[pos], which
// must be ESC.
std::size_t escapeLength(std::string_view text, std::size_t pos);

// Columns of UTF-8 text as the terminal shows it: escape sequences and BEL take none, other
// control characters two (libedit draws them as ^X), invalid bytes one each.
int displayWidth(std::string_view text);

}  // namespace sockctl
