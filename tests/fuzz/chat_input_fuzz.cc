// Fuzz target for what a chat client can send: bytes split into reads, lines cut by
// LineSplitter (with a small limit so the overlong path runs), each line sanitised and parsed.
// Besides "no crash, no out-of-bounds read", it checks the promises other users rely on: a
// sanitised line is valid UTF-8 with no C0/C1 control, no ESC and no newline; sanitising is
// idempotent; no line handed on is longer than the limit.
//
// Input layout: byte 0 is the read size used to split the rest (1..256); the rest is the stream.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sockchat/chat/command.h"
#include "sockchat/chat/line_splitter.h"
#include "sockchat/chat/sanitize.h"
#include "utf8_check.h"

namespace {

constexpr std::size_t kMaxLine = 64;

using sockchat::fuzz::checkSafe;
using sockchat::fuzz::require;

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
