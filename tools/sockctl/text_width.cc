#include "text_width.h"

#include <cwchar>

#include "sockchat/text/utf8.h"

namespace sockctl {
namespace {

bool in(char32_t cp, char32_t first, char32_t last) {
    return cp >= first && cp <= last;
}

// Unicode's East Asian Wide and Fullwidth blocks, coarsely: what wcwidth() says under a UTF-8
// locale for the characters chat text is made of.
bool wide(char32_t cp) {
    return in(cp, 0x1100, 0x115F) || in(cp, 0x2E80, 0x303E) || in(cp, 0x3041, 0x33FF) ||
           in(cp, 0x3400, 0x4DBF) || in(cp, 0x4E00, 0x9FFF) || in(cp, 0xA000, 0xA4CF) ||
           in(cp, 0xAC00, 0xD7A3) || in(cp, 0xF900, 0xFAFF) || in(cp, 0xFE30, 0xFE4F) ||
           in(cp, 0xFF00, 0xFF60) || in(cp, 0xFFE0, 0xFFE6) || in(cp, 0x1F300, 0x1F64F) ||
           in(cp, 0x1F900, 0x1F9FF) || in(cp, 0x20000, 0x3FFFD);
}

bool combining(char32_t cp) {
    return in(cp, 0x0300, 0x036F) || in(cp, 0x1AB0, 0x1AFF) || in(cp, 0x20D0, 0x20FF) ||
           in(cp, 0xFE20, 0xFE2F) || cp == 0x200B || cp == 0x200D;
}

}  // namespace

int codepointWidth(char32_t cp) {
    if (cp == sockchat::text::kInvalidUtf8) return 1;
    if (cp < 0x20 || cp == 0x7f) return 2;
    if (cp < 0x7f) return 1;
    if (int w = ::wcwidth(static_cast<wchar_t>(cp)); w >= 0) return w;
    if (combining(cp)) return 0;
    return wide(cp) ? 2 : 1;
}

std::size_t escapeLength(std::string_view text, std::size_t pos) {
    std::size_t i = pos + 1;
    if (i < text.size() && text[i] == '[') {
        for (++i; i < text.size() && !(text[i] >= 0x40 && text[i] <= 0x7e);) ++i;
        return (i < text.size() ? i + 1 : i) - pos;
    }
    return i < text.size() ? 2 : 1;
}

int displayWidth(std::string_view text) {
    int width = 0;
    for (std::size_t i = 0; i < text.size();) {
        if (text[i] == '\x1b') {
            i += escapeLength(text, i);
            continue;
        }
        if (text[i] == '\a') {
            ++i;
            continue;
        }
        width += codepointWidth(sockchat::text::decodeUtf8(text, i));
    }
    return width;
}

}  // namespace sockctl
