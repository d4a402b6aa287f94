#pragma once
// Text from one user is shown on other users' terminals. sanitizeText makes it safe to print:
// invalid UTF-8 becomes U+FFFD, C0/C1 control characters and whole ANSI/ECMA-48 escape sequences
// (CSI, OSC/DCS/APC/PM/SOS strings, nF such as ESC ( 0, and two-byte ESC x) are removed. A tab
// becomes a space rather than being dropped, so pasted columns stay readable, and every output
// line stays one line. A user must not be able to clear, recolour or retitle someone else's
// terminal.
// Invisible format characters are removed too, so that readers see what was written, in the
// order it was written: bidi embeddings, overrides and isolates (U+202A..202E, U+2066..2069,
// LRM/RLM U+200E/200F, ALM U+061C; "exe.txt" after U+202E shows as "txt.exe"), zero-width
// characters (U+200B..200D, word joiner and invisible operators U+2060..2064, BOM U+FEFF), the
// soft hyphen, U+2028/2029 (line and paragraph separators), tag characters U+E0000..E007F,
// interlinear annotation U+FFF9..FFFB, and the rest of general category Cf except the visible
// prepended concatenation marks (Arabic number signs). One exception: a zero-width joiner between
// two emoji stays, as it only joins them into one picture (a family, a profession, a flag).
// Idempotent; one pass, allocating only the result.
#include <string>
#include <string_view>

namespace sockchat::chat {

std::string sanitizeText(std::string_view input);

}  // namespace sockchat::chat
