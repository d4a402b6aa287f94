#include "sockchat/chat/event.h"

#include <nlohmann/json.hpp>

#include "sockchat/log/logger.h"

namespace sockchat::chat {

const char* typeName(Event::Type type) {
    static constexpr const char* kTypes[] = {
        "welcome", "notice", "history", "message", "action",  "private", "join",    "leave", "nick",
        "error",   "who",    "rooms",   "topic",   "current", "pong",    "closing", "whois"};
    return kTypes[static_cast<int>(type)];
}

std::string renderText(const Event& e) {
    using T = Event::Type;
    const std::string kServer(kServerLinePrefix);  // what no user line can start with (event.h)
    std::string line;
    switch (e.type) {
        case T::welcome:
        case T::notice:
            line = kServer + e.text;
            break;
        case T::history:
            line = e.action ? "[history] * " + e.from + " " + e.text
                            : "[history] <" + e.from + "> " + e.text;
            break;
        case T::message:
            line = "<" + e.from + "> " + e.text;
            break;
        case T::action:
            line = "* " + e.from + " " + e.text;
            break;
        case T::privateMessage:
            // The recipient's copy, unless it is a note to oneself (one copy, the sender's).
            line = e.nick == e.to && e.from != e.to ? "[msg from " + e.from + "] " + e.text
                                                    : "[msg to " + e.to + "] " + e.text;
            break;
        case T::join:
            line = kServer + e.nick + " joined #" + e.room;
            break;
        case T::leave:
            line =
                kServer + e.nick + " left #" + e.room + (e.text.empty() ? "" : " (" + e.text + ")");
            break;
        case T::nick:
            line = kServer + e.from + " is now known as " + e.nick;
            break;
        case T::error:
            line = "! " + e.text;
            break;
        case T::who:
            line = kServer + "#" + e.room + ":";
            for (std::size_t i = 0; i < e.names.size(); ++i) line += (i ? ", " : " ") + e.names[i];
            if (e.more > 0) line += "; " + std::to_string(e.more) + " more (" + e.text + ")";
            break;
        case T::rooms:
            line = kServer + "rooms:";
            for (std::size_t i = 0; i < e.rooms.size(); ++i) {
                line += (i ? ", #" : " #") + e.rooms[i].first + " (" +
                        std::to_string(e.rooms[i].second);
                if (i < e.topics.size() && !e.topics[i].empty())
                    line += ", \"" + e.topics[i] + "\"";
                line += ")";
            }
            // A bounded page: say what was left out and how to get it.
            if (e.more > 0) line += "; " + std::to_string(e.more) + " more (" + e.text + ")";
            break;
        case T::topic:
            if (e.seq == 0)
                line = kServer + "topic of #" + e.room + ": " + e.text;
            else if (e.text.empty())
                line = kServer + e.from + " cleared the topic of #" + e.room;
            else
                line = kServer + e.from + " set the topic of #" + e.room + ": " + e.text;
            break;
        case T::current:
            line = kServer + "now talking in #" + e.room;
            break;
        case T::pong:
            line = kServer + (e.text.empty() ? "pong" : "pong " + e.text);
            break;
        case T::closing:
            line = "! closing: " + e.text;
            break;
        case T::whois:
            line = kServer + e.nick + (e.names.empty() ? ": in no room" : ": in");
            for (std::size_t i = 0; i < e.names.size(); ++i)
                line += (i ? ", #" : " #") + e.names[i];
            if (!e.text.empty()) line += "; away: " + e.text;
            break;
    }
    return line + "\n";
}

std::string renderJson(const Event& e) {
    using T = Event::Type;
    nlohmann::ordered_json j;
    j["type"] = typeName(e.type);
    switch (e.type) {
        case T::welcome:
            j["nick"] = e.nick;
            j["room"] = e.room;
            j["text"] = e.text;
            if (!e.names.empty()) j["rooms"] = e.names;
            j["protocol"] = Event::kProtocolVersion;
            j["idle_timeout_ms"] = e.idleTimeoutMs;
            j["max_rooms"] = e.maxRooms;
            break;
        case T::notice:
        case T::error:
            j["text"] = e.text;
            break;
        case T::history:
            j["room"] = e.room;
            j["from"] = e.from;
            j["text"] = e.text;
            j["seq"] = e.seq;
            j["kind"] = e.action ? "action" : "message";
            break;
        case T::message:
        case T::action:
            j["room"] = e.room;
            j["from"] = e.from;
            j["text"] = e.text;
            j["seq"] = e.seq;
            break;
        case T::privateMessage:
            j["from"] = e.from;
            j["to"] = e.to;
            j["text"] = e.text;
            break;
        case T::join:
            j["room"] = e.room;
            j["nick"] = e.nick;
            j["seq"] = e.seq;
            break;
        case T::leave:
            j["room"] = e.room;
            j["nick"] = e.nick;
            j["reason"] = e.text;
            j["seq"] = e.seq;
            break;
        case T::nick:
            j["from"] = e.from;
            j["nick"] = e.nick;
            j["room"] = e.room;
            j["seq"] = e.seq;
            break;
        case T::who:
            j["room"] = e.room;
            j["nicks"] = e.names;
            j["total"] = e.total;
            j["page"] = e.page;
            j["more"] = e.more;
            break;
        case T::rooms: {
            auto list = nlohmann::ordered_json::array();
            for (std::size_t i = 0; i < e.rooms.size(); ++i)
                list.push_back({{"name", e.rooms[i].first},
                                {"members", e.rooms[i].second},
                                {"topic", i < e.topics.size() ? e.topics[i] : ""}});
            j["rooms"] = std::move(list);
            j["total"] = e.total;
            j["page"] = e.page;
            j["more"] = e.more;
            break;
        }
        case T::topic:
            j["room"] = e.room;
            j["from"] = e.from;
            j["text"] = e.text;
            j["seq"] = e.seq;
            break;
        case T::current:
            j["room"] = e.room;
            break;
        case T::pong:
            j["text"] = e.text;
            break;
        case T::closing:
            j["reason"] = e.text;
            break;
        case T::whois:
            j["nick"] = e.nick;
            j["rooms"] = e.names;
            j["away"] = e.text;
            break;
    }
    j["ts"] = sockchat::log::rfc3339(e.time);
    // Text is sanitised before it gets here (MOTD comes from the config, though): replace
    // rather than throw if anything slipped by.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace sockchat::chat
