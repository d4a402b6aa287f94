#pragma once
// ChatEvent: one thing that happened in chat, rendered per client as a text line or a JSON line
// (see PROTOCOL.md). Room events are rendered once per format and shared by every recipient.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sockchatd {

struct ChatEvent {
    enum class Type {
        welcome,
        notice,
        history,
        message,
        action,
        privateMessage,
        join,
        leave,
        nick,
        error,
        who,
        rooms
    };

    Type type = Type::notice;
    std::string room;
    std::string from;  // sender; old nick for `nick`
    std::string to;    // private recipient
    std::string nick;  // joiner/leaver; new nick for `nick`; own nick for `welcome`
    std::string text;  // message text, notice/error text, leave reason
    std::uint64_t seq = 0;
    bool action = false;  // history entries: was it a /me
    std::chrono::system_clock::time_point time = std::chrono::system_clock::now();
    std::vector<std::string> names;                          // who
    std::vector<std::pair<std::string, std::size_t>> rooms;  // rooms
};

// One text line and one JSON line, each ending in "\n".
std::string renderText(const ChatEvent& event);
std::string renderJson(const ChatEvent& event);

// A room event as every member receives it: immutable, shared across workers.
struct RenderedEvent {
    explicit RenderedEvent(const ChatEvent& e) : text(renderText(e)), json(renderJson(e)) {}
    std::string text;
    std::string json;
};
using SharedEvent = std::shared_ptr<const RenderedEvent>;

}  // namespace sockchatd
