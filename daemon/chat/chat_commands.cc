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

constexpr const char* kHelp[] = {
    "commands:",
    "  /nick NAME        change your nick (1-32 of A-Z a-z 0-9 - _ .)",
    "  /join ROOM        leave your room and join ROOM (created if new)",
    "  /rooms            list rooms and their member counts",
    "  /who [ROOM]       list the members of a room (default: yours)",
    "  /msg NICK TEXT    private message",
    "  /me TEXT          action",
    "  /mode json|text   output format",
    "  /quit [REASON]    leave",
    "  //text            send a line that starts with /",
};

}  // namespace

void ChatService::handleCommand(Session& s, const std::string& name, std::string_view args) {
    if (name == "nick")
        changeNick(s, trimSpaces(args));
    else if (name == "join")
        joinRoom(s, roomArgument(args));
    else if (name == "rooms")
        listRooms(s);
    else if (name == "who")
        who(s, roomArgument(args));
    else if (name == "msg")
        privateMessage(s, args);
    else if (name == "me")
        trimSpaces(args).empty() ? sendError(s, "usage: /me TEXT")
                                 : say(s, std::string(args), true);
    else if (name == "quit")
        quit(s, trimSpaces(args));
    else if (name == "help")
        help(s);
    else if (name == "mode")
        setMode(s, trimSpaces(args));
    else
        sendError(s, "unknown command /" + name + " (try /help)");
}

void ChatService::say(Session& s, std::string text, bool action) {
    if (logger_.enabled(sockchat::log::Level::debug))
        logger_.debug("message", "",
                      {{"conn", s.conn.id()}, {"nick", s.nick}, {"room", s.room}, {"text", text}});
    ChatEvent e;
    e.type = action ? ChatEvent::Type::action : ChatEvent::Type::message;
    e.room = s.room;
    e.from = s.nick;
    e.text = std::move(text);
    hub_.publish(std::move(e));
}

void ChatService::changeNick(Session& s, std::string_view name) {
    if (auto error = validateName(name, "nick")) return sendError(s, *error);
    if (foldCase(name).starts_with("guest-"))
        return sendError(s, "nicks starting with guest- are reserved");
    if (name == s.nick) return sendError(s, "you are already " + s.nick);
    std::string newNick(name);
    if (hub_.rename(s.nick, newNick, s.room) == ChatHub::RenameResult::taken)
        return sendError(s, "nick " + newNick + " is taken");
    logger_.info("nick", "",
                 {{"conn", s.conn.id()}, {"from", s.nick}, {"nick", newNick}, {"room", s.room}});
    s.nick = std::move(newNick);
}

void ChatService::joinRoom(Session& s, std::string_view name) {
    if (auto error = validateName(name, "room")) return sendError(s, *error);
    if (foldCase(name) == foldCase(s.room)) return sendError(s, "you are already in #" + s.room);
    std::string next(name);
    leaveRoom(s, "joined #" + next);
    enterRoom(s, next);
}

void ChatService::who(Session& s, std::string_view room) {
    auto members = hub_.who(room.empty() ? s.room : std::string(room));
    if (!members) return sendError(s, "no such room #" + std::string(room));
    ChatEvent e;
    e.type = ChatEvent::Type::who;
    e.room = members->first;
    e.names = std::move(members->second);
    sendEvent(s, e);
}

void ChatService::listRooms(Session& s) {
    ChatEvent e;
    e.type = ChatEvent::Type::rooms;
    e.rooms = hub_.rooms();
    sendEvent(s, e);
}

void ChatService::privateMessage(Session& s, std::string_view args) {
    auto [target, text] = splitWord(args);
    if (target.empty() || trimSpaces(text).empty()) return sendError(s, "usage: /msg NICK TEXT");
    ChatEvent e;
    e.type = ChatEvent::Type::privateMessage;
    e.from = s.nick;
    e.to = std::string(target);
    e.text = std::string(text);
    auto recipient = hub_.sendPrivate(e);
    if (!recipient) return sendError(s, "no such nick " + std::string(target));
    if (logger_.enabled(sockchat::log::Level::debug))
        logger_.debug(
            "private", "",
            {{"conn", s.conn.id()}, {"nick", s.nick}, {"to", *recipient}, {"text", e.text}});
    e.to = *recipient;
    e.nick = s.nick;  // the sender's copy
    sendEvent(s, e);
}

void ChatService::setMode(Session& s, std::string_view mode) {
    std::string folded = foldCase(mode);
    if (folded == "json") {
        s.json = true;
        // Tells a client that switches first thing who and where it is.
        ChatEvent e;
        e.type = ChatEvent::Type::welcome;
        e.nick = s.nick;
        e.room = s.room;
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
    s.conn.beginGracefulClose(s.quitReason);
}

void ChatService::help(Session& s) {
    for (const char* line : kHelp) sendNotice(s, line);
}

}  // namespace sockchatd
