#include "sockchat/text/quote.h"

#include <cstdio>

namespace sockchat::text {
namespace {

void appendHex(std::string& out, unsigned char c) {
    char hex[5];
    std::snprintf(hex, sizeof hex, "\\x%02x", c);
    out += hex;
}

bool isControl(unsigned char c) {
    return c < 0x20 || c == 0x7F;
}

// Length of the well-formed UTF-8 sequence starting at text[i] (1 for ASCII), 0 if there is none
// (a stray continuation byte, an overlong form, a surrogate, beyond U+10FFFF, or cut short).
std::size_t utf8SequenceLength(std::string_view text, std::size_t i) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    if (b0 < 0x80) return 1;
    std::size_t length = b0 >= 0xC2 && b0 <= 0xDF   ? 2
                         : b0 >= 0xE0 && b0 <= 0xEF ? 3
                         : b0 >= 0xF0 && b0 <= 0xF4 ? 4
                                                    : 0;
    if (length == 0 || i + length > text.size()) return 0;
    for (std::size_t k = 1; k < length; ++k)
        if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return 0;
    const auto b1 = static_cast<unsigned char>(text[i + 1]);
    if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 > 0x9F) || (b0 == 0xF0 && b1 < 0x90) ||
        (b0 == 0xF4 && b1 > 0x8F))
        return 0;
    return length;
}

}  // namespace

std::string quoteForMessage(std::string_view value) {
    std::string out = "\"";
    std::size_t taken = 0;
    for (; taken < value.size() && taken < kMaxQuotedBytes; ++taken) {
        const auto c = static_cast<unsigned char>(value[taken]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (isControl(c)) {
            appendHex(out, c);
        } else {
            out += static_cast<char>(c);
        }
    }
    // Do not end inside a UTF-8 sequence: drop its lead and continuation bytes.
    if (taken < value.size()) {
        while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80)
            out.pop_back();
        if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
        out += "...";
    }
    out += '"';
    return out;
}

std::string escapeForMessage(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        std::size_t length = utf8SequenceLength(text, i);
        const auto c = static_cast<unsigned char>(text[i]);
        if (length == 0 || (length == 1 && isControl(c))) {
            appendHex(out, c);
            ++i;
        } else {
            out.append(text, i, length);
            i += length;
        }
    }
    return out;
}

}  // namespace sockchat::text
