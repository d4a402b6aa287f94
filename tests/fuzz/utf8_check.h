#pragma once
// What the chat fuzz targets check about sanitised text (sanitize.h): valid, shortest-form UTF-8
// of scalar values only, with no C0 control (tab and newline included), no DEL and no C1
// control. Shared so that every target holds sanitizeText to the same promise.
#include <cstddef>
#include <cstdlib>
#include <string_view>

namespace sockchat::fuzz {

inline void require(bool ok) {
    if (!ok) std::abort();
}

// Decodes one UTF-8 sequence at `i`; false if it is not a valid, shortest-form scalar value.
inline bool nextCodePoint(std::string_view s, std::size_t& i, char32_t& cp) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char b = byte(i);
    std::size_t len = b < 0x80           ? 1
                      : (b >> 5) == 0x6  ? 2
                      : (b >> 4) == 0xE  ? 3
                      : (b >> 3) == 0x1E ? 4
                                         : 0;
    if (len == 0 || i + len > s.size()) return false;
    cp = len == 1 ? b : b & (0x7F >> len);
    for (std::size_t k = 1; k < len; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
    return true;
}

inline bool validUtf8(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        char32_t cp = 0;
        if (!nextCodePoint(text, i, cp)) return false;
    }
    return true;
}

// Aborts unless `text` is what sanitizeText promises to return.
inline void checkSafe(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        char32_t cp = 0;
        require(nextCodePoint(text, i, cp));
        require(cp >= 0x20 && cp != 0x7F && !(cp >= 0x80 && cp < 0xA0));
        // No bidi control, line separator or BOM either (sanitize.h): they reorder or break
        // what the reader sees.
        require(!(cp >= 0x202A && cp <= 0x202E) && !(cp >= 0x2066 && cp <= 0x2069) &&
                cp != 0x200E && cp != 0x200F && cp != 0x061C && cp != 0x2028 && cp != 0x2029 &&
                cp != 0xFEFF);
    }
}

}  // namespace sockchat::fuzz
