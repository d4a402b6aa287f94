#include "sockchat/chat/sanitize.h"

#include <cstdint>

namespace sockchat::chat {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr char32_t kInvalid = 0xFFFFFFFF;

// Decodes one UTF-8 sequence at s[i]; advances i past it (one byte on error).
char32_t decode(std::string_view s, std::size_t& i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char b0 = byte(i);
    if (b0 < 0x80) {
        ++i;
        return b0;
    }
    int len;
    char32_t cp;
    char32_t min;
    if ((b0 & 0xE0) == 0xC0) {
        len = 2, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
        len = 3, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
        len = 4, cp = b0 & 0x07, min = 0x10000;
    } else {
        ++i;
        return kInvalid;
    }
    if (i + static_cast<std::size_t>(len) > s.size()) {
        ++i;
        return kInvalid;
    }
    for (int k = 1; k < len; ++k) {
        unsigned char b = byte(i + static_cast<std::size_t>(k));
        if ((b & 0xC0) != 0x80) {
            ++i;
            return kInvalid;
        }
        cp = (cp << 6) | (b & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and values past U+10FFFF are invalid too.
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        ++i;
        return kInvalid;
    }
    i += static_cast<std::size_t>(len);
    return cp;
}

void encode(char32_t cp, std::string& out) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

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
        char32_t cp = decode(input, i);
        if (cp == kInvalid) {
            out += kReplacement;
        } else if (cp == 0x1B) {
            skipEscape(input, i);
        } else if (cp == '\t') {
            out += ' ';
        } else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) {
            // C0 and C1 controls: dropped (C1 0x9B/0x9D are 8-bit CSI/OSC introducers).
        } else {
            encode(cp, out);
        }
    }
    return out;
}

}  // namespace sockchat::chat
