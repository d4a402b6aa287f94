#include "sockchat/text/quote.h"

#include <cstdio>

namespace sockchat::text {

std::string quoteForMessage(std::string_view value) {
    std::string out = "\"";
    std::size_t taken = 0;
    for (; taken < value.size() && taken < kMaxQuotedBytes; ++taken) {
        const auto c = static_cast<unsigned char>(value[taken]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7F) {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
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

}  // namespace sockchat::text
