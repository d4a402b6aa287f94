#include "sockchat/chat/wire.h"

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>

namespace sockchat::chat {

namespace {

constexpr Event::Type kWireTypes[] = {
    Event::Type::message, Event::Type::action, Event::Type::join,          Event::Type::leave,
    Event::Type::nick,    Event::Type::topic,  Event::Type::privateMessage};

// The largest millisecond count a system_clock time_point holds (its ticks are nanoseconds in
// libstdc++: about 292 years either side of 1970). Converting a larger "ms" would overflow a
// signed integer (undefined behaviour; found by tests/fuzz/wire_event_fuzz), so it is rejected
// like any other field another writer got wrong.
constexpr long long kMaxWireMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::duration::max())
                                     .count();

std::optional<long long> wireMs(const nlohmann::json& ms) {
    if (ms.is_number_unsigned()) {
        const auto value = ms.get<std::uint64_t>();
        if (value > static_cast<std::uint64_t>(kMaxWireMs)) return std::nullopt;
        return static_cast<long long>(value);
    }
    const auto value = ms.get<long long>();
    if (value < -kMaxWireMs || value > kMaxWireMs) return std::nullopt;
    return value;
}

bool travels(Event::Type type) {
    for (Event::Type t : kWireTypes)
        if (t == type) return true;
    return false;
}

}  // namespace

std::optional<Event::Type> typeFromName(std::string_view name) {
    for (int i = 0; i <= static_cast<int>(Event::Type::whois); ++i) {
        auto type = static_cast<Event::Type>(i);
        if (name == typeName(type)) return type;
    }
    return std::nullopt;
}

std::string encodeWireEvent(const Event& e) {
    nlohmann::json j;
    j["t"] = typeName(e.type);
    j["ms"] =
        std::chrono::duration_cast<std::chrono::milliseconds>(e.time.time_since_epoch()).count();
    // Empty fields are left out: a join or a message is a few dozen bytes on the wire.
    auto put = [&](const char* key, const std::string& value) {
        if (!value.empty()) j[key] = value;
    };
    put("r", e.room);
    put("f", e.from);
    put("o", e.to);
    put("n", e.nick);
    put("x", e.text);
    if (e.seq) j["s"] = e.seq;
    if (e.members) j["m"] = e.members;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<Event> decodeWireEvent(std::string_view wire) {
    auto j = nlohmann::json::parse(wire, nullptr, false);
    if (!j.is_object()) return std::nullopt;
    auto type = j.find("t");
    auto ms = j.find("ms");
    if (type == j.end() || !type->is_string() || ms == j.end() || !ms->is_number_integer())
        return std::nullopt;
    auto parsed = typeFromName(type->get<std::string>());
    if (!parsed || !travels(*parsed)) return std::nullopt;
    const auto millis = wireMs(*ms);
    if (!millis) return std::nullopt;
    Event e;
    e.type = *parsed;
    e.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(*millis));
    auto get = [&](const char* key, std::string& out) {
        auto it = j.find(key);
        if (it == j.end()) return true;
        if (!it->is_string()) return false;
        out = it->get<std::string>();
        return true;
    };
    if (!get("r", e.room) || !get("f", e.from) || !get("o", e.to) || !get("n", e.nick) ||
        !get("x", e.text))
        return std::nullopt;
    if (auto seq = j.find("s"); seq != j.end()) {
        if (!seq->is_number_unsigned()) return std::nullopt;
        e.seq = seq->get<std::uint64_t>();
    }
    if (auto members = j.find("m"); members != j.end()) {
        if (!members->is_number_unsigned()) return std::nullopt;
        e.members = members->get<std::size_t>();
    }
    return e;
}

}  // namespace sockchat::chat
