#pragma once
// ChatEvent: one line of the chat service's JSON mode (daemon/chat/PROTOCOL.md), parsed into
// the fields sockctl acts on. The whole object stays available for type-specific fields.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace sockctl {

struct ChatEvent {
    std::string type;  // welcome, message, private, action, join, leave, nick, notice, error,
                       // history, who, rooms
    std::string room, from, text, ts;
    std::optional<std::uint64_t> seq;
    nlohmann::json raw;

    // Convenience for string fields that only some types carry.
    std::string field(const char* name) const;
};

// Parses one server line; nullopt if it is not a JSON object with a string "type" (e.g. the
// plain-text lines the server sends before it has seen "/mode json").
std::optional<ChatEvent> parseChatEvent(std::string_view line);

}  // namespace sockctl
