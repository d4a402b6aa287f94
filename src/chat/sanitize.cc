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

}  // namespace

std::string sanitizeText(std::string_view input) {
    std::string out;
    out.reserve(input.size());
    std::size_t i = 0;
    while (i < input.size()) {
        char32_t cp = sockchat::text::decodeUtf8(input, i);
        if (cp == sockchat::text::kInvalidUtf8) {
            out += kReplacement;
        } else if (cp == 0x1B) {
            skipEscape(input, i);
        } else if (cp == '\t') {
            out += ' ';
        } else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) {
            // C0 and C1 controls: dropped (C1 0x9B/0x9D are 8-bit CSI/OSC introducers).
        } else {
            sockchat::text::encodeUtf8(cp, out);
        }
    }
    return out;
}

}  // namespace sockchat::chat
