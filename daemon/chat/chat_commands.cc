// The chat commands (PROTOCOL.md). A bad command, name or argument is an error line to its
// sender only; nothing here closes a connection except /quit.
#include "../connection.h"
#include "chat_service.h"
#include "sockchat/chat/command.h"
#include "sockchat/chat/names.h"

namespace sockchatd {

using sockchat::chat::foldCase;
using sockchat::chat::roomArgument;
using sockchat::chat::splitWord;
using sockchat::chat::trimSpaces;
using sockchat::chat::validateName;

namespace {

// Rooms per /rooms reply: with thousands of rooms, one short line must not buy a 100 kB answer.
constexpr std::size_t kRoomsPerPage = 50;
constexpr std::size_t kMaxRoomsPage = 100000;
// Nicks per /who reply: a room of 10,000 members must not answer a short line with 150 kB.
constexpr std::size_t kWhoPerPage = 200;

// A page number argument (from 1), or 0 if `word` is none.
std::size_t pageNumber(std::string_view word) {
    if (word.empty() || word.size() > 6 || word.find_first_not_of("0123456789") != word.npos)
        return 0;
    return std::stoul(std::string(word));
}
// Topics in a /rooms page are cut to this many bytes, or 50 rooms with max_line_bytes topics
// would make a page 200 kB again (/topic shows a room's whole topic).
constexpr std::size_t kListedTopicBytes = 100;

std::string listedTopic(std::string topic) {
    if (topic.size() <= kListedTopicBytes) return topic;
    std::size_t cut = kListedTopicBytes;
    while (cut > 0 && (static_cast<unsigned char>(topic[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
    topic.resize(cut);
    return topic + "...";
}

constexpr const char* kHelp[] = {
    "commands:",
    "  /join ROOM (/j)         join ROOM (created if new) and talk there; you stay in your other "
    "rooms",
    "  /part [ROOM] [REASON]   leave ROOM (default: the current room)",
    "  /msg #ROOM TEXT         say TEXT in one of your rooms without switching to it",
    "  /msg NICK TEXT (/query) private message",
    "  /me TEXT                action",
    "  /nick NAME              change your nick (1-32 of A-Z a-z 0-9 - _ .)",
    "  /who [ROOM] [PAGE]      the members of a room (default: the current room), 200 a page "
    "(/names)",
    "  /rooms [PATTERN] [PAGE] rooms, biggest first, with member counts and topics, 50 a "
    "page (/list; PATTERN: part of the name, or a glob with * and ?)",
    "  /topic [TEXT|-delete]   show or set the current room's topic",
    "  /away [TEXT]            mark yourself away (no TEXT: back)",
    "  /whois NICK             a nick's rooms and away text",
    "  /ping [TOKEN]           the server answers pong TOKEN",
    "  /mode json|text         output format",
    "  /quit [REASON]          leave",
    "  //text                  send a line that starts with /",
};

}  // namespace

void ChatService::handleCommand(Session& s, const std::string& name, std::string_view args) {
    if (name == "nick")
        changeNick(s, trimSpaces(args));
    else if (name == "join" || name == "j")
        joinRoom(s, roomArgument(args));
    else if (name == "part" || name == "leave")
        partRoom(s, args);
    else if (name == "rooms" || name == "list")
        listRooms(s, args);
    else if (name == "who" || name == "names")
        who(s, args);
    else if (name == "msg" || name == "query")
        message(s, args);
    else if (name == "me")
        trimSpaces(args).empty() ? sendError(s, "usage: /me TEXT")
                                 : say(s, s.current, std::string(args), true);
    else if (name == "topic")
        topic(s, trimSpaces(args));
    else if (name == "away")
        away(s, trimSpaces(args));
    else if (name == "whois")
        whois(s, trimSpaces(args));
    else if (name == "ping") {
        ChatEvent pong;
        pong.type = ChatEvent::Type::pong;
        pong.text = std::string(trimSpaces(args));
        sendEvent(s, pong);
    } else if (name == "quit")
        quit(s, trimSpaces(args));
    else if (name == "help")
        help(s);
    else if (name == "mode")
        setMode(s, trimSpaces(args));
    else if (name == "hello")
        sendError(s, "hello: only as the first line of a connection");
    else
        sendError(s, "unknown command /" + name + " (try /help)");
}

void ChatService::hello(Session& s, std::string_view args) {
    auto parsed = sockchat::chat::parseHello(args);
    if (!parsed.hello) return sendError(s, parsed.error);
    const auto& hello = *parsed.hello;
    s.json = hello.json;  // a refusal comes in the mode asked for, so a program can read it
    if (hello.rooms.size() > settings_.maxRoomsPerClient)
        return sendError(s, "hello: at most " + std::to_string(settings_.maxRoomsPerClient) +
                                " rooms (limits.max_rooms_per_client)");
    if (!hello.nick.empty() && hello.nick != s.nick) {
        if (foldCase(hello.nick).starts_with("guest-"))
            return sendError(s, "hello: nicks starting with guest- are reserved");
        // In no room yet: nobody to tell.
        return backend_.rename(
            s.nick, hello.nick, worker_,
            whenDone<ChatBackend::Renamed>(s, [this, hello](Session& s,
                                                            ChatBackend::Renamed renamed) {
                if (renamed.result == ChatBackend::RenameResult::taken)
                    return sendError(s, "hello: nick " + hello.nick + " is taken");
                logger_.clientEvent(
                    "nick", "", {{"conn", s.conn.id()}, {"from", s.nick}, {"nick", hello.nick}});
                s.nick = hello.nick;
                greet(s, hello);
            }));
    }
    greet(s, hello);
}

void ChatService::say(Session& s, const std::string& room, std::string text, bool action) {
    if (room.empty()) return sendError(s, "you are in no room (try /join ROOM)");
    if (logger_.enabled(sockchat::log::Level::debug))
        logger_.debug("message", "",
                      {{"conn", s.conn.id()}, {"nick", s.nick}, {"room", room}, {"text", text}});
    ChatEvent e;
    e.type = action ? ChatEvent::Type::action : ChatEvent::Type::message;
    e.room = room;
    e.from = s.nick;
    e.text = std::move(text);
    stats_.add(stats_.chatMessages, 1);
    publishOwn(s, std::move(e));
}

void ChatService::publishOwn(Session& s, ChatEvent event) {
    backend_.publish(std::move(event), worker_,
                     whenDone<std::optional<ChatBackend::Published>>(
                         s, [this](Session& s, std::optional<ChatBackend::Published> published) {
                             if (published) awaitOwn(s, *published);
                         }));
}

void ChatService::changeNick(Session& s, std::string_view name) {
    if (auto error = validateName(name, "nick")) return sendError(s, *error);
    if (foldCase(name).starts_with("guest-"))
        return sendError(s, "nicks starting with guest- are reserved");
    if (name == s.nick) return sendError(s, "you are already " + s.nick);
    std::string newNick(name);
    backend_.rename(
        s.nick, newNick, worker_,
        whenDone<ChatBackend::Renamed>(s, [this, newNick](Session& s,
                                                          ChatBackend::Renamed renamed) {
            if (renamed.result == ChatBackend::RenameResult::taken)
                return sendError(s, "nick " + newNick + " is taken");
            logger_.info(
                "nick", "",
                {{"conn", s.conn.id()}, {"from", s.nick}, {"nick", newNick}, {"room", s.current}});
            if (renamed.published.empty()) {  // in no room: the confirmation is ours alone
                ChatEvent e;
                e.type = ChatEvent::Type::nick;
                e.from = s.nick;
                e.nick = newNick;
                sendEvent(s, e);
            }
            for (const auto& published : renamed.published) awaitOwn(s, published);
            s.nick = newNick;
        }));
}

void ChatService::joinRoom(Session& s, std::string_view name) {
    if (auto error = validateName(name, "room")) return sendError(s, *error);
    if (Membership* m = membership(s, name)) {
        if (foldCase(s.current) == foldCase(m->name))
            return sendError(s, "you are already in #" + m->name);
        s.current = m->name;
        ChatEvent e;
        e.type = ChatEvent::Type::current;
        e.room = m->name;
        return sendEvent(s, e);
    }
    std::size_t in = std::count_if(s.rooms.begin(), s.rooms.end(),
                                   [](const Membership& m) { return m.leftSeq == 0; });
    if (in >= settings_.maxRoomsPerClient)
        return sendError(
            s, "you are in " + std::to_string(in) + " rooms, the most allowed (/part one first)");
    enterRooms(s, {std::string(name)}, true);
}

void ChatService::partRoom(Session& s, std::string_view args) {
    auto [word, reason] = splitWord(args);
    std::string_view name = roomArgument(word);
    if (name.empty()) name = s.current;
    if (name.empty()) return sendError(s, "you are in no room");
    Membership* m = membership(s, name);
    if (!m) return sendError(s, "you are not in #" + std::string(name));
    leaveRoom(s, *m, reason.empty() ? "part" : "part: " + std::string(trimSpaces(reason)));
}

void ChatService::who(Session& s, std::string_view args) {
    auto [word, rest] = splitWord(args);
    std::string_view room = roomArgument(word);
    std::string_view pageWord = trimSpaces(rest);
    std::size_t page = pageWord.empty() ? 1 : pageNumber(pageWord);
    if (page == 0) return sendError(s, "usage: /who [ROOM] [PAGE]");
    if (room.empty() && s.current.empty())
        return sendError(s, "you are in no room (try /who ROOM)");
    if (!mayList(s, "/who")) return;
    std::string name = room.empty() ? s.current : std::string(room);
    backend_.who(
        name, worker_,
        whenDone<std::optional<ChatBackend::Members>>(
            s, [this, name, page](Session& s, std::optional<ChatBackend::Members> members) {
                if (!members) return sendError(s, "no such room #" + name);
                std::size_t total = members->names.size();
                std::size_t offset = (page - 1) * kWhoPerPage;
                if (offset >= total && total > 0)
                    return sendError(s, "no page " + std::to_string(page) + ": " +
                                            std::to_string(total) + " members, " +
                                            std::to_string(kWhoPerPage) + " a page");
                ChatEvent e;
                e.type = ChatEvent::Type::who;
                e.room = members->room;
                auto from =
                    members->names.begin() + static_cast<std::ptrdiff_t>(std::min(offset, total));
                auto to = members->names.begin() +
                          static_cast<std::ptrdiff_t>(std::min(offset + kWhoPerPage, total));
                e.names.assign(std::make_move_iterator(from), std::make_move_iterator(to));
                e.total = total;
                e.page = static_cast<unsigned>(page);
                e.more = total - std::min(offset + kWhoPerPage, total);
                if (e.more > 0) e.text = "/who #" + e.room + " " + std::to_string(page + 1);
                sendEvent(s, e);
            }));
}

bool ChatService::mayList(Session& s, std::string_view command) {
    if (s.listings.take(sockchat::chat::TokenBucket::Clock::now())) return true;
    sendError(s, "slow down: " + std::string(command) + " (listing commands: " +
                     std::to_string(static_cast<int>(kListingsPerSecond)) + " a second, " +
                     std::to_string(static_cast<int>(kListingBurst)) + " in a burst)");
    return false;
}

void ChatService::listRooms(Session& s, std::string_view args) {
    const char* usage = "usage: /rooms [PATTERN] [PAGE]";
    std::string pattern;
    std::size_t page = 1;
    for (std::string_view rest = args;;) {
        auto [word, after] = splitWord(rest);
        if (word.empty()) break;
        rest = after;
        if (word.find_first_not_of("0123456789") == std::string_view::npos) {
            if ((page = pageNumber(word)) == 0 || page > kMaxRoomsPage) return sendError(s, usage);
            continue;
        }
        if (word.front() == '#') word.remove_prefix(1);
        std::string stripped;  // a pattern is a room name with wildcards
        for (char c : word)
            if (c != '*' && c != '?') stripped += c;
        if (!pattern.empty() || word.size() > 2 * sockchat::chat::kMaxNameLength ||
            (!stripped.empty() && validateName(stripped, "room")))
            return sendError(s, usage);
        pattern = std::string(word);
    }
    if (!mayList(s, "/rooms")) return;
    ChatBackend::RoomQuery query;
    // A plain word finds the rooms whose names contain it.
    query.pattern = pattern.empty() || pattern.find_first_of("*?") != std::string::npos
                        ? pattern
                        : "*" + pattern + "*";
    query.offset = (page - 1) * kRoomsPerPage;
    query.limit = kRoomsPerPage;
    backend_.rooms(query, worker_,
                   whenDone<ChatBackend::RoomPage>(
                       s, [this, pattern, page, query](Session& s, ChatBackend::RoomPage found) {
                           if (found.rooms.empty() && found.total > 0)
                               return sendError(s, "no page " + std::to_string(page) + ": " +
                                                       std::to_string(found.total) + " rooms, " +
                                                       std::to_string(kRoomsPerPage) + " a page");
                           ChatEvent e;
                           e.type = ChatEvent::Type::rooms;
                           e.total = found.total;
                           e.page = static_cast<unsigned>(page);
                           std::size_t shown = query.offset + found.rooms.size();
                           e.more = found.total > shown ? found.total - shown : 0;
                           if (e.more > 0)
                               e.text = "/rooms " + (pattern.empty() ? "" : pattern + " ") +
                                        std::to_string(page + 1);
                           for (auto& room : found.rooms) {
                               e.rooms.emplace_back(room.name, room.members);
                               e.topics.push_back(listedTopic(std::move(room.topic)));
                           }
                           sendEvent(s, e);
                       }));
}

void ChatService::message(Session& s, std::string_view args) {
    auto [target, text] = splitWord(args);
    if (target.empty() || trimSpaces(text).empty())
        return sendError(s, "usage: /msg NICK TEXT or /msg #ROOM TEXT");
    if (target.front() != '#') return privateMessage(s, target, text);
    Membership* m = membership(s, target.substr(1));
    if (!m) return sendError(s, "you are not in " + std::string(target) + " (try /join)");
    say(s, m->name, std::string(text), false);
}

void ChatService::privateMessage(Session& s, std::string_view target, std::string_view text) {
    ChatEvent e;
    e.type = ChatEvent::Type::privateMessage;
    e.from = s.nick;
    e.to = std::string(target);
    e.text = std::string(text);
    backend_.sendPrivate(
        e, worker_,
        whenDone<std::optional<ChatBackend::Recipient>>(
            s, [this, e](Session& s, std::optional<ChatBackend::Recipient> recipient) mutable {
                if (!recipient) return sendError(s, "no such nick " + e.to);
                if (logger_.enabled(sockchat::log::Level::debug))
                    logger_.debug("private", "",
                                  {{"conn", s.conn.id()},
                                   {"nick", s.nick},
                                   {"to", recipient->nick},
                                   {"text", e.text}});
                e.to = recipient->nick;
                e.nick = s.nick;  // the sender's copy
                sendEvent(s, e);
                if (!recipient->away.empty())
                    sendNotice(s, recipient->nick + " is away: " + recipient->away);
            }));
}

void ChatService::topic(Session& s, std::string_view text) {
    if (s.current.empty()) return sendError(s, "you are in no room (try /join ROOM)");
    if (text.empty()) {
        std::string current = s.current;
        // The current room alone (a name is a pattern that matches only itself).
        return backend_.rooms({current, 0, 1}, worker_,
                              whenDone<ChatBackend::RoomPage>(
                                  s, [this, current](Session& s, ChatBackend::RoomPage found) {
                                      for (const auto& room : found.rooms)
                                          if (foldCase(room.name) == foldCase(current)) {
                                              ChatEvent e;
                                              e.type = ChatEvent::Type::topic;
                                              e.room = room.name;
                                              e.text = room.topic.empty() ? "(none)" : room.topic;
                                              return sendEvent(s, e);
                                          }
                                  }));
    }
    ChatEvent e;
    e.type = ChatEvent::Type::topic;
    e.room = s.current;
    e.from = s.nick;
    e.text = text == "-delete" ? "" : std::string(text);
    logger_.clientEvent("topic", "",
                        {{"conn", s.conn.id()}, {"nick", s.nick}, {"room", s.current}});
    publishOwn(s, std::move(e));
}

void ChatService::away(Session& s, std::string_view text) {
    backend_.setAway(s.nick, std::string(text), worker_);
    sendNotice(s, text.empty() ? "you are back" : "you are away: " + std::string(text));
}

void ChatService::whois(Session& s, std::string_view nick) {
    if (nick.empty()) return sendError(s, "usage: /whois NICK");
    if (!mayList(s, "/whois")) return;
    std::string name(nick);
    backend_.whois(name, worker_,
                   whenDone<std::optional<ChatBackend::Whois>>(
                       s, [this, name](Session& s, std::optional<ChatBackend::Whois> found) {
                           if (!found) return sendError(s, "no such nick " + name);
                           ChatEvent e;
                           e.type = ChatEvent::Type::whois;
                           e.nick = found->nick;
                           e.names = std::move(found->rooms);
                           e.text = std::move(found->away);
                           sendEvent(s, e);
                       }));
}

void ChatService::setMode(Session& s, std::string_view mode) {
    std::string folded = foldCase(mode);
    if (folded == "json") {
        s.json = true;
        // Tells a client that switches first thing who and where it is.
        ChatEvent e;
        e.type = ChatEvent::Type::welcome;
        e.nick = s.nick;
        e.room = s.current;
        for (const auto& m : s.rooms)
            if (m.leftSeq == 0) e.names.push_back(m.name);
        e.idleTimeoutMs = settings_.idleTimeout.count();
        e.maxRooms = settings_.maxRoomsPerClient;
        e.text = "json mode";
        sendEvent(s, e);
    } else if (folded == "text") {
        s.json = false;
        sendNotice(s, "text mode");
    } else {
        sendError(s, "usage: /mode json|text");
    }
}

void ChatService::quit(Session& s, std::string_view reason) {
    s.quitReason = reason.empty() ? "quit" : "quit: " + std::string(reason);
    sendNotice(s, "bye");
    s.conn.beginGracefulClose(s.quitReason, true);
}

void ChatService::help(Session& s) {
    for (const char* line : kHelp) sendNotice(s, line);
}

}  // namespace sockchatd
