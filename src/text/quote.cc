#include "sockchat/text/quote.h"

#include <cstdio>

#include "sockchat/text/utf8.h"

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
        const std::size_t start = i;
        const auto c = static_cast<unsigned char>(text[start]);
        if (decodeUtf8(text, i) == kInvalidUtf8 || isControl(c))
            appendHex(out, c);  // decodeUtf8 moved i past this one byte (or the control byte)
        else
            out.append(text, start, i - start);
    }
    return out;
}

}  // namespace sockchat::text
