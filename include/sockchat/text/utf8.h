#pragma once
// UTF-8 decoding and encoding, strict: overlong forms, UTF-16 surrogates, values past U+10FFFF
// and cut-short sequences are invalid. Shared by the chat sanitiser (which replaces invalid
// bytes with U+FFFD) and error-message escaping (which writes them as \xNN).
#include <cstddef>
#include <string>
#include <string_view>

namespace sockchat::text {

inline constexpr char32_t kInvalidUtf8 = 0xFFFFFFFF;

// Decodes the sequence at s[i] and advances i past it; on an invalid byte returns kInvalidUtf8
// and advances i by one.
char32_t decodeUtf8(std::string_view s, std::size_t& i);

// Appends the UTF-8 form of a valid code point.
void encodeUtf8(char32_t cp, std::string& out);

}  // namespace sockchat::text
