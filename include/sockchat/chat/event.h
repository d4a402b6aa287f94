#pragma once
// Event: one thing that happened in chat, and its two renderings: a text line for people using
// nc/telnet and a JSON line for programs (`/mode json`). daemon/chat/PROTOCOL.md is the
// contract; tests/unit/chat/event_test.cc pins every line format.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sockchat::chat {

struct Event {
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
        rooms,
        topic,    // a room's topic: set now (seq > 0) or shown on join (seq 0)
        current,  // the client's current room changed without a join (/join of a room it is in)
        pong,     // answer to /ping
        closing,  // the server closes this connection; `text` is the reason
        whois     // answer to /whois: nick, rooms (names), away text (text)
    };

    // Protocol version announced in the welcome (PROTOCOL.md "Versions").
    static constexpr int kProtocolVersion = 3;

    Type type = Type::notice;
    std::string room;
    std::string from;  // sender; the old nick for `nick`
    std::string to;    // private: the recipient
    // join/leave: who; nick: the new nick; welcome: the client's own nick; private: whose copy
    // this is (the text line differs for sender and recipient, the JSON line does not).
    std::string nick;
    std::string text;  // message text, notice/error text, leave reason
    std::uint64_t seq = 0;
    bool action = false;  // history entries: was it a /me
    std::chrono::system_clock::time_point time = std::chrono::system_clock::now();
    std::vector<std::string> names;                          // who
    std::vector<std::pair<std::string, std::size_t>> rooms;  // rooms: name, member count
    std::vector<std::string> topics;  // rooms: each room's topic (same order; may be shorter)
    // rooms, who: a page of the matching rooms or the members. total: how many there are; page:
    // this page's number (from 1); more: how many come after it; `text` is then the command for
    // the next page.
    std::size_t total = 0;
    unsigned page = 0;
    std::size_t more = 0;
    // welcome: the rooms joined (names), the idle timeout in ms (0 = none), rooms allowed.
    long long idleTimeoutMs = 0;
    unsigned maxRooms = 0;
    // join/leave: how many members the room has with it (after a join, after a leave); 0 when
    // not known. Not shown: it decides whether the event is shown to the other members at all
    // (chat.presence_limit).
    std::size_t members = 0;
};

// Starts every text-mode line the server says itself (welcome, notices, joins, leaves, nick
// changes, topics, /who, /rooms, /whois, pong). No user can start a line with it: an action is
// "* NICK text", a message "<NICK> text", and a nick holds no "!", so "/me is now known as admin"
// cannot pass for a nick change. Errors and closing reasons start with "! ".
inline constexpr std::string_view kServerLinePrefix = "-!- ";

// One line each, ending in "\n". Text fields must already be sanitised (sanitize.h); the JSON
// rendering still replaces invalid UTF-8 rather than throwing.
std::string renderText(const Event& event);
std::string renderJson(const Event& event);

// The protocol name of a type ("private" for privateMessage).
const char* typeName(Event::Type type);

}  // namespace sockchat::chat
