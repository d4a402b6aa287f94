#include "chat_event.h"

namespace sockctl {
namespace {

std::string stringField(const nlohmann::json& object, const char* name) {
    auto it = object.find(name);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string ChatEvent::field(const char* name) const {
    return stringField(raw, name);
}

std::optional<ChatEvent> parseChatEvent(std::string_view line) {
    auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded() || !json.is_object()) return std::nullopt;
    auto type = json.find("type");
    if (type == json.end() || !type->is_string()) return std::nullopt;
    ChatEvent event;
    event.type = type->get<std::string>();
    event.room = stringField(json, "room");
    event.from = stringField(json, "from");
    event.text = stringField(json, "text");
    event.ts = stringField(json, "ts");
    if (auto seq = json.find("seq"); seq != json.end() && seq->is_number_unsigned())
        event.seq = seq->get<std::uint64_t>();
    event.raw = std::move(json);
    return event;
}

}  // namespace sockctl
