// Fuzz target for the cluster wire format (wire.h): what arrives from Redis may come from a
// daemon of another version or from a stray PUBLISH, so decodeWireEvent must reject or accept
// any bytes without crashing, and what it accepts must survive a round trip unchanged:
// decode(x) = e  =>  decode(encode(e)) = e, and encode is stable on it (every daemon renders
// the same line from the same event).
//
// Input layout: byte 0 bit 0 set: the rest is one wire message to decode. Otherwise the rest is
// split on 0x00 into fields of an event that is encoded first (the path a daemon publishing an
// event takes), then decoded and compared the same way.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sockchat/chat/wire.h"
#include "utf8_check.h"

namespace {

using sockchat::chat::Event;
using sockchat::fuzz::require;

bool sameWireFields(const Event& a, const Event& b) {
    return a.type == b.type && a.room == b.room && a.from == b.from && a.to == b.to &&
           a.nick == b.nick && a.text == b.text && a.seq == b.seq && a.time == b.time;
}

void checkRoundTrip(const Event& e) {
    const std::string wire = sockchat::chat::encodeWireEvent(e);
    const auto back = sockchat::chat::decodeWireEvent(wire);
    require(back.has_value());
    require(sameWireFields(e, *back));
    require(sockchat::chat::encodeWireEvent(*back) == wire);
}

constexpr Event::Type kTypes[] = {
    Event::Type::message, Event::Type::action, Event::Type::join,          Event::Type::leave,
    Event::Type::nick,    Event::Type::topic,  Event::Type::privateMessage};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
    if (data[0] & 1) {
        if (const auto e = sockchat::chat::decodeWireEvent(rest)) checkRoundTrip(*e);
        return 0;
    }

    // Built event: type and seq from byte 0 and the first field, text fields from the others.
    Event e;
    e.type = kTypes[(data[0] >> 1) % std::size(kTypes)];
    std::string fields[6];
    std::size_t n = 0;
    for (std::size_t pos = 0; pos <= rest.size() && n < std::size(fields); ++n) {
        const auto end = std::min(rest.find('\0', pos), rest.size());
        fields[n] = std::string(rest.substr(pos, end - pos));
        pos = end + 1;
    }
    std::uint64_t number = 0;
    for (const char c : fields[0]) number = number * 131 + static_cast<unsigned char>(c);
    e.seq = (data[0] & 2) ? number : 0;
    // Any millisecond count a system_clock time_point can hold (nanoseconds in 64 bits).
    const long long ms =
        static_cast<long long>(number % 18'000'000'000'000ULL) - 9'000'000'000'000LL;
    e.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
    e.room = fields[1];
    e.from = fields[2];
    e.to = fields[3];
    e.nick = fields[4];
    e.text = fields[5];
    const std::string wire = sockchat::chat::encodeWireEvent(e);
    const auto back = sockchat::chat::decodeWireEvent(wire);
    require(back.has_value());  // whatever a daemon encodes, another daemon can decode
    // Invalid UTF-8 is replaced on encoding (by design); valid text must come back unchanged.
    bool valid = true;
    for (std::size_t i = 1; i < std::size(fields); ++i)
        valid = valid && sockchat::fuzz::validUtf8(fields[i]);
    if (valid) require(sameWireFields(e, *back));
    checkRoundTrip(*back);
    return 0;
}
