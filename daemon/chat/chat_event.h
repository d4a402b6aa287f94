#pragma once
// A room event as every member receives it (models.md #4): rendered once per format (text when its
// seq is known, JSON when first wanted), immutable to its readers, and shared by every worker that
// has members in the room, so the fan-out is appending the same bytes to each member's output
// buffer.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "sockchat/chat/event.h"

namespace sockchatd {

using ChatEvent = sockchat::chat::Event;
// A stored event (a history entry) handed out without copying its text: every joiner of a room
// gets the same entries the room keeps.
using SharedChatEvent = std::shared_ptr<const ChatEvent>;

class RenderedEvent {
  public:
    RenderedEvent(std::uint64_t room, ChatEvent e)
        : roomId(room),
          seq(e.seq),
          members(e.members),
          presenceOf(e.type == ChatEvent::Type::join || e.type == ChatEvent::Type::leave
                         ? e.nick
                         : std::string()),
          text(sockchat::chat::renderText(e)),
          source_(std::move(e)) {}
    // The room's identity: a room deleted when empty and created again is a new room, with a new
    // id and seq starting over, so a late event of the old one cannot reach the new members.
    std::uint64_t roomId;
    std::uint64_t seq;
    std::size_t members;     // join/leave: the room's size with it, 0 = unknown
    std::string presenceOf;  // join/leave: whose; empty for every other event
    std::string text;
    // The JSON line, rendered by the first worker that has a JSON client for it (thread-safe):
    // building it through nlohmann::json costs some twenty allocations, under the room's lock
    // when it was eager, and most rooms have no JSON client at all.
    const std::string& json() const {
        std::call_once(jsonOnce_, [this] { json_ = sockchat::chat::renderJson(source_); });
        return json_;
    }

  private:
    ChatEvent source_;
    mutable std::once_flag jsonOnce_;
    mutable std::string json_;
};
using SharedEvent = std::shared_ptr<const RenderedEvent>;

}  // namespace sockchatd
