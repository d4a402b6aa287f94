// Fuzz target for what a chat client can send: bytes split into reads, lines cut by
// LineSplitter (with a small limit so the overlong path runs), each line sanitised and parsed.
// Besides "no crash, no out-of-bounds read", it checks the promises other users rely on: a
// sanitised line is valid UTF-8 with no C0/C1 control, no ESC and no newline; sanitising is
// idempotent; no line handed on is longer than the limit.
//
// Input layout: byte 0 is the read size used to split the rest (1..256); the rest is the stream.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sockchat/chat/command.h"
#include "sockchat/chat/line_splitter.h"
#include "sockchat/chat/sanitize.h"

namespace {

constexpr std::size_t kMaxLine = 64;

void require(bool ok) {
    if (!ok) std::abort();
}

// Decodes one UTF-8 sequence at `i`; false if it is not a valid, shortest-form scalar value.
bool nextCodePoint(std::string_view s, std::size_t& i, char32_t& cp) {
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

void checkSafe(std::string_view text) {
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

void handleLine(std::string_view line) {
    require(line.size() <= kMaxLine);
    std::string clean = sockchat::chat::sanitizeText(line);
    checkSafe(clean);
    require(sockchat::chat::sanitizeText(clean) == clean);
    auto parsed = sockchat::chat::parseLine(clean);
    if (parsed.kind == sockchat::chat::ParsedLine::Kind::command) {
        auto [word, rest] = sockchat::chat::splitWord(parsed.text);
        (void)sockchat::chat::roomArgument(word);
        (void)sockchat::chat::trimSpaces(rest);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::size_t chunk = data[0] % 256 + 1;
    std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
    sockchat::chat::LineSplitter splitter(kMaxLine);
    const auto onOverlong = [] {};
    while (!stream.empty()) {
        const std::size_t n = stream.size() < chunk ? stream.size() : chunk;
        splitter.feed(stream.substr(0, n), handleLine, onOverlong);
        stream.remove_prefix(n);
    }
    splitter.flushPartial(handleLine, onOverlong);
    return 0;
}
