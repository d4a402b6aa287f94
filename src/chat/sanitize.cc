#include "sockchat/chat/sanitize.h"

#include <cstdint>

#include "sockchat/text/utf8.h"

namespace sockchat::chat {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
// Skips an escape sequence whose ESC is at s[i-1]; i points after the ESC.
void skipEscape(std::string_view s, std::size_t& i) {
    if (i >= s.size()) return;
    char kind = s[i++];
    if (kind == '[') {  // CSI: parameters and intermediates, then one final byte 0x40..0x7E
        while (i < s.size()) {
            unsigned char c = static_cast<unsigned char>(s[i++]);
            if (c >= 0x40 && c <= 0x7E) return;
        }
    } else if (kind == ']' || kind == 'P' || kind == '_' || kind == '^' || kind == 'X') {
        // OSC / DCS / APC / PM / SOS: a string ended by BEL or ST (ESC \)
        while (i < s.size()) {
            char c = s[i++];
            if (c == '\a') return;
            if (c == '\x1b' && i < s.size() && s[i] == '\\') {
                ++i;
                return;
            }
        }
    } else if (static_cast<unsigned char>(kind) >= 0x20 &&
               static_cast<unsigned char>(kind) <= 0x2F) {
        // nF (e.g. ESC ( 0, DEC line drawing): more intermediates, then one final byte.
        while (i < s.size()) {
            unsigned char c = static_cast<unsigned char>(s[i++]);
            if (c < 0x20 || c > 0x2F) return;
        }
    }
    // Any other ESC x (ESC c, ESC 7, ...): the single following byte was consumed with it.
}

// Invisible format characters (sanitize.h): general category Cf, the line and paragraph
// separators, and the unassigned code points reserved as default-ignorable next to them. Kept from
// Cf: the prepended concatenation marks (U+0600..0605, 06DD, 070F, 0890..0891, 08E2, 110BD,
// 110CD), which are visible signs. Ordered so that ASCII and most text leave after one compare.
bool isInvisibleFormat(char32_t cp) {
    if (cp < 0x00AD) return false;
    if (cp < 0x2000) return cp == 0x00AD || cp == 0x061C || cp == 0x180E;
    if (cp <= 0x206F)
        return (cp >= 0x200B && cp <= 0x200F)     // zero-width space, ZWNJ, ZWJ, LRM, RLM
               || (cp >= 0x2028 && cp <= 0x202E)  // LS, PS, LRE, RLE, PDF, LRO, RLO
               || cp >= 0x2060;  // word joiner, invisible operators, isolates, deprecated
    if (cp < 0xFEFF) return false;
    if (cp <= 0xFFFB) return cp == 0xFEFF || cp >= 0xFFF0;  // BOM; interlinear annotation
    if (cp < 0x13430) return false;
    return cp <= 0x1343F                        // Egyptian hieroglyph format controls
           || (cp >= 0x1BCA0 && cp <= 0x1BCA3)  // shorthand format controls
           || (cp >= 0x1D173 && cp <= 0x1D17A)  // musical beam, tie, slur, phrase controls
           || (cp >= 0xE0000 && cp <= 0xE0FFF && !(cp >= 0xE0100 && cp <= 0xE01EF));  // tags
}

// Emoji that a zero-width joiner may fuse into one (family, profession, flag sequences): the
// pictograph blocks and the emoji presentation selector that often ends the first part.
bool isPictograph(char32_t cp) {
    return (cp >= 0x2190 && cp <= 0x2BFF) || (cp >= 0x1F000 && cp <= 0x1FAFF) || cp == 0xFE0F;
}

}  // namespace

std::string sanitizeText(std::string_view input) {
    std::string out;
    out.reserve(input.size());
    std::size_t i = 0;
    char32_t previous = 0;  // the input's previous code point, whether kept or not
    while (i < input.size()) {
        char32_t cp = sockchat::text::decodeUtf8(input, i);
        if (cp == 0x200D && isPictograph(previous)) {
            // A ZWJ is kept only between two emoji, where it joins them into one picture and can
            // hide or reorder nothing. Both neighbours are kept as they are, so a second pass
            // keeps it too (idempotent); any other ZWJ goes with the other format characters.
            std::size_t next = i;
            if (i < input.size() && isPictograph(sockchat::text::decodeUtf8(input, next)))
                sockchat::text::encodeUtf8(cp, out);
        } else if (cp == sockchat::text::kInvalidUtf8) {
            out += kReplacement;
        } else if (cp == 0x1B) {
            skipEscape(input, i);
        } else if (cp == '\t') {
            out += ' ';
        } else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) {
            // C0 and C1 controls: dropped (C1 0x9B/0x9D are 8-bit CSI/OSC introducers).
        } else if (isInvisibleFormat(cp)) {
            // Bidi overrides and isolates, zero-width and other invisible characters: dropped.
        } else {
            sockchat::text::encodeUtf8(cp, out);
        }
        previous = cp;
    }
    return out;
}

}  // namespace sockchat::chat
