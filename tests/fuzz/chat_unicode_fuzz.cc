// Fuzz target for chat input as arbitrary Unicode, not only arbitrary bytes: the input is turned
// into a string of code points drawn from the classes that matter to a terminal (C0 and C1
// controls, ESC, DEL, printable ASCII, any BMP or astral code point, surrogates, bidi and
// zero-width format characters) and of malformed UTF-8 (stray continuation bytes, overlong forms,
// truncated sequences), so that libFuzzer reaches escape sequences and multi-byte edge cases
// far sooner than from random bytes. chat_input_fuzz covers the same code fed through
// LineSplitter; this one has no line limit and checks more of the contract.
//
// Checked for every input:
//  - sanitizeText's output is valid UTF-8 with no C0/C1 control, no DEL, no ESC (utf8_check.h);
//  - sanitizeText is idempotent;
//  - text without controls loses at most whole invisible code points (never mangled);
//  - parseLine never crashes, on the raw input as well as the sanitised one, and on sanitised
//    input everything it hands on (name, text, splitWord and roomArgument parts) is valid UTF-8:
//    it only cuts at ASCII spaces and slashes.
//
// Input layout: byte 0 bit 0 set: the rest is used as raw bytes. Otherwise each following 3
// bytes are one item: the top 3 bits of the 24-bit value choose the class, the rest the item.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sockchat/chat/command.h"
#include "sockchat/chat/sanitize.h"
#include "sockchat/text/utf8.h"
#include "utf8_check.h"

namespace {

using sockchat::fuzz::checkSafe;
using sockchat::fuzz::require;
using sockchat::fuzz::validUtf8;

// sockchat::text::encodeUtf8 encodes surrogates too, as three bytes: invalid UTF-8, which is
// wanted here, since a client can send them.
using sockchat::text::encodeUtf8;

// Format characters that reorder or hide text on a terminal.
constexpr char32_t kFormat[] = {0x00AD, 0x061C, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F,
                                0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067,
                                0x2068, 0x2069, 0xFEFF, 0xFFFD, 0xFFFE, 0xFFFF};
// Byte strings that are not UTF-8: overlong NUL, ESC and '/', a lone lead byte of each length,
// an over-range lead, the encoding of U+110000.
constexpr std::string_view kMalformed[] = {
    "\xC0\x80",         "\xC0\x9B", "\xC0\xAF", "\xE0\x80\x80", "\xE0\x80\x9B",
    "\xF0\x80\x80\x80", "\xC2",     "\xE2\x82", "\xF0\x9F\x98", "\xF8\x88\x80\x80\x80",
    "\xF4\x90\x80\x80", "\xFF",     "\xFE"};

std::string unicodeFrom(const std::uint8_t* data, std::size_t size) {
    std::string out;
    for (std::size_t i = 0; i + 3 <= size; i += 3) {
        const std::uint32_t v =
            (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
        const std::uint32_t item = v & 0x1FFFFF;
        switch (v >> 21) {
            case 0:
                out += static_cast<char>(item % 0x20);
                break;  // C0
            case 1:
                encodeUtf8(0x7F + item % 0x21, out);
                break;  // DEL, C1
            case 2:
                out += '\x1B';
                break;  // ESC
            case 3:
                out += static_cast<char>(0x20 + item % 0x5F);
                break;  // printable ASCII
            case 4:
                encodeUtf8(item % 0x10000, out);
                break;  // BMP, surrogates too
            case 5:
                encodeUtf8(item % 0x110000, out);
                break;  // any code point
            case 6:
                encodeUtf8(kFormat[item % std::size(kFormat)], out);
                break;
            default:
                if (item & 1)
                    out += kMalformed[(item >> 1) % std::size(kMalformed)];
                else
                    out += static_cast<char>(0x80 | ((item >> 1) & 0x7F));  // stray byte
                break;
        }
    }
    return out;
}

bool isSafe(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        char32_t cp = 0;
        if (!sockchat::fuzz::nextCodePoint(text, i, cp)) return false;
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) return false;
    }
    return true;
}

// Text without controls is never mangled: the sanitiser may only drop whole code points from it
// (the invisible and bidi characters of sanitize.h), never change or add one.
bool removesOnly(std::string_view text, std::string_view clean) {
    std::size_t i = 0, j = 0;
    while (j < clean.size()) {
        char32_t want = 0, got = 0;
        if (!sockchat::fuzz::nextCodePoint(clean, j, want)) return false;
        do {
            if (i >= text.size() || !sockchat::fuzz::nextCodePoint(text, i, got)) return false;
        } while (got != want);
    }
    return true;
}

void checkParse(std::string_view clean) {
    using sockchat::chat::ParsedLine;
    const auto parsed = sockchat::chat::parseLine(clean);
    require(validUtf8(parsed.name) && validUtf8(parsed.text));
    require((parsed.kind == ParsedLine::Kind::blank) == sockchat::chat::trimSpaces(clean).empty());
    if (parsed.kind == ParsedLine::Kind::command) {
        require(parsed.name.find(' ') == std::string::npos);
        const auto [word, rest] = sockchat::chat::splitWord(parsed.text);
        require(validUtf8(word) && validUtf8(rest));
        require(validUtf8(sockchat::chat::roomArgument(word)));
        require(validUtf8(sockchat::chat::trimSpaces(rest)));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::string text = (data[0] & 1)
                                 ? std::string(reinterpret_cast<const char*>(data + 1), size - 1)
                                 : unicodeFrom(data + 1, size - 1);

    const std::string clean = sockchat::chat::sanitizeText(text);
    checkSafe(clean);
    require(sockchat::chat::sanitizeText(clean) == clean);
    if (isSafe(text)) require(removesOnly(text, clean));

    (void)sockchat::chat::parseLine(text);  // unsanitised: must not crash either
    checkParse(clean);
    return 0;
}
