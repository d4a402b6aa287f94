#pragma once
// The wire form of a room or private event between daemons of one cluster (through Redis): a
// compact JSON object that carries every field a member's rendering needs, so any daemon renders
// the same line from it. It is not the client protocol (PROTOCOL.md): clients never see it.
// Decoding is strict: what another daemon of a different version or a stray PUBLISH wrote is
// rejected, never half-read.
#include <optional>
#include <string>
#include <string_view>

#include "sockchat/chat/event.h"

namespace sockchat::chat {

// Room events (message, action, join, leave, nick, topic) and private messages.
std::string encodeWireEvent(const Event& event);
std::optional<Event> decodeWireEvent(std::string_view wire);

// The protocol type for a name typeName() returns, if there is one.
std::optional<Event::Type> typeFromName(std::string_view name);

}  // namespace sockchat::chat
