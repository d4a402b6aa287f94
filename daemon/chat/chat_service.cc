#include "chat_service.h"

#include "../connection.h"
#include "sockchat/chat/names.h"
#include "sockchat/chat/sanitize.h"

namespace sockchatd {

using sockchat::chat::foldCase;
using sockchat::chat::validateName;
using sockchat::log::Field;

namespace {

std::pair<std::string_view, std::string_view> splitWord(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    std::size_t sp = s.find(' ');
    if (sp == std::string_view::npos) return {s, {}};
    std::string_view rest = s.substr(sp + 1);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    return {s.substr(0, sp), rest};
}

std::string trimmed(std::string_view s) {
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    return std::string(s);
}

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

ChatService::ChatService(sockchat::net::EventLoop& loop, ChatHub& hub, ChatSettings settings,
                         sockchat::log::Logger& logger)
    : loop_(loop),
      hub_(hub),
      settings_(std::move(settings)),
      logger_(logger),
      worker_(hub.attach(loop, *this)) {}

ChatService::~ChatService() {
    for (auto& [_, s] : sessions_)
        if (s->partialTimer) loop_.cancel(s->partialTimer);
}

void ChatService::applySettings(ChatSettings settings) {
    settings_ = std::move(settings);
    for (auto& [_, s] : sessions_) {
        s->splitter.setMaxLineBytes(settings_.maxLineBytes);
        s->bucket.reconfigure(settings_.messagesPerSecond, settings_.burst);
    }
}

std::optional<std::string> ChatService::refusalLine(std::string_view reason) const {
    return "! server full: " + std::string(reason) + "\n";
}

ChatService::Session* ChatService::find(Connection& conn) {
    auto it = sessions_.find(&conn);
    return it == sessions_.end() ? nullptr : it->second.get();
}

void ChatService::onOpen(Connection& conn) {
    auto owned = std::make_unique<Session>(conn, settings_.maxLineBytes,
                                           settings_.messagesPerSecond, settings_.burst);
    Session& s = *owned;
    sessions_.emplace(&conn, std::move(owned));
    s.nick = hub_.addGuest(worker_);
    byNick_[foldCase(s.nick)] = &s;
    ChatEvent welcome;
    welcome.type = ChatEvent::Type::welcome;
    welcome.nick = s.nick;
    welcome.room = settings_.defaultRoom;
    welcome.text = "Welcome to sockchatd! You are " + s.nick + " in #" + settings_.defaultRoom +
                   ". Type /help for commands.";
    sendEvent(s, welcome);
    std::string_view motd = settings_.motd;
    while (!motd.empty()) {
        std::size_t nl = motd.find('\n');
        sendNotice(s, std::string(motd.substr(0, nl)));
        motd.remove_prefix(nl == std::string_view::npos ? motd.size() : nl + 1);
    }
    enterRoom(s, settings_.defaultRoom);
}

void ChatService::enterRoom(Session& s, const std::string& room) {
    auto [display, history] = hub_.join(room, s.nick, worker_);
    s.room = display;
    roomMembers_[foldCase(display)].insert(&s);
    for (const auto& past : history) sendEvent(s, past);
    logger_.info("join", "", {{"conn", s.conn.id()}, {"nick", s.nick}, {"room", s.room}});
}

void ChatService::onData(Connection& conn, std::string_view bytes) {
    Session* s = find(conn);
    if (!s) return;
    s->splitter.feed(
        bytes,
        [this, s](std::string_view line) {
            if (!s->conn.closed() && s->quitReason.empty()) handleLine(*s, line);
        },
        [this, s] {
            if (!s->conn.closed())
                sendError(*s, "line too long (over " + std::to_string(settings_.maxLineBytes) +
                                  " bytes), discarded");
        });
    if (!conn.closed()) armPartialTimer(*s);
}

void ChatService::armPartialTimer(Session& s) {
    if (s.partialTimer) loop_.cancel(s.partialTimer);
    s.partialTimer = 0;
    if (!s.splitter.hasPartial()) return;
    // Clients that send without a newline (the tutorial's) still get their line handled.
    s.partialTimer = loop_.runAfter(settings_.partialLineTimeout, [this, ptr = &s] {
        ptr->partialTimer = 0;
        ptr->splitter.flushPartial([this, ptr](std::string_view line) {
            if (!ptr->conn.closed() && ptr->quitReason.empty()) handleLine(*ptr, line);
        });
    });
}

void ChatService::handleLine(Session& s, std::string_view raw) {
    std::string line = sockchat::chat::sanitizeText(raw);
    if (line.find_first_not_of(' ') == std::string::npos) return;
    if (!s.bucket.take(sockchat::chat::TokenBucket::Clock::now())) {
        logger_.debug("limit", "rate limited", {{"conn", s.conn.id()}, {"nick", s.nick}});
        sendError(s, "slow down");
        return;
    }
    if (line.starts_with("//")) {
        say(s, line.substr(1), false);
    } else if (line.front() == '/') {
        auto [command, args] = splitWord(std::string_view(line).substr(1));
        handleCommand(s, foldCase(command), args);
    } else {
        say(s, line, false);
    }
}

void ChatService::handleCommand(Session& s, std::string_view command, std::string_view args) {
    if (command == "nick") {
        changeNick(s, trimmed(args));
    } else if (command == "join") {
        std::string room = trimmed(args);
        if (!room.empty() && room.front() == '#') room.erase(0, 1);
        joinRoom(s, room);
    } else if (command == "rooms") {
        ChatEvent e;
        e.type = ChatEvent::Type::rooms;
        e.rooms = hub_.rooms();
        sendEvent(s, e);
    } else if (command == "who") {
        std::string room = trimmed(args);
        if (!room.empty() && room.front() == '#') room.erase(0, 1);
        auto members = hub_.who(room.empty() ? s.room : room);
        if (!members) return sendError(s, "no such room #" + room);
        ChatEvent e;
        e.type = ChatEvent::Type::who;
        e.room = members->first;
        e.names = std::move(members->second);
        sendEvent(s, e);
    } else if (command == "msg") {
        privateMessage(s, args);
    } else if (command == "me") {
        if (trimmed(args).empty()) return sendError(s, "usage: /me TEXT");
        say(s, std::string(args), true);
    } else if (command == "quit") {
        s.quitReason = trimmed(args).empty() ? "quit" : "quit: " + trimmed(args);
        sendNotice(s, "bye");
        s.conn.beginGracefulClose();
    } else if (command == "help") {
        for (const char* line : kHelp) sendNotice(s, line);
    } else if (command == "mode") {
        std::string mode = foldCase(trimmed(args));
        if (mode == "json") {
            s.json = true;
            ChatEvent e;
            e.type = ChatEvent::Type::welcome;
            e.nick = s.nick;
            e.room = s.room;
            e.text = "json mode";
            sendEvent(s, e);
        } else if (mode == "text") {
            s.json = false;
            sendNotice(s, "text mode");
        } else {
            sendError(s, "usage: /mode json|text");
        }
    } else {
        sendError(s, "unknown command /" + std::string(command) + " (try /help)");
    }
}

void ChatService::say(Session& s, const std::string& text, bool action) {
    ChatEvent e;
    e.type = action ? ChatEvent::Type::action : ChatEvent::Type::message;
    e.room = s.room;
    e.from = s.nick;
    e.text = text;
    if (logger_.enabled(sockchat::log::Level::debug))
        logger_.debug("message", "",
                      {{"conn", s.conn.id()}, {"nick", s.nick}, {"room", s.room}, {"text", text}});
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
    byNick_.erase(foldCase(s.nick));
    byNick_[foldCase(newNick)] = &s;
    s.nick = newNick;
}

void ChatService::joinRoom(Session& s, std::string_view name) {
    if (auto error = validateName(name, "room")) return sendError(s, *error);
    if (foldCase(name) == foldCase(s.room)) return sendError(s, "you are already in #" + s.room);
    std::string next(name);
    hub_.leave(s.room, s.nick, worker_, "joined #" + next);
    roomMembers_[foldCase(s.room)].erase(&s);
    logger_.info(
        "leave", "",
        {{"conn", s.conn.id()}, {"nick", s.nick}, {"room", s.room}, {"reason", "joined #" + next}});
    enterRoom(s, next);
}

void ChatService::privateMessage(Session& s, std::string_view args) {
    auto [target, text] = splitWord(args);
    if (target.empty() || trimmed(text).empty()) return sendError(s, "usage: /msg NICK TEXT");
    ChatEvent e;
    e.type = ChatEvent::Type::privateMessage;
    e.from = s.nick;
    e.to = std::string(target);
    e.text = std::string(text);
    auto recipient = hub_.sendPrivate(e);
    if (!recipient) return sendError(s, "no such nick " + std::string(target));
    e.to = *recipient;
    e.nick = s.nick;  // the sender's copy
    sendEvent(s, e);
}

void ChatService::sendEvent(Session& s, const ChatEvent& event) {
    s.conn.send(s.json ? renderJson(event) : renderText(event));
}

void ChatService::sendNotice(Session& s, const std::string& text) {
    ChatEvent e;
    e.type = ChatEvent::Type::notice;
    e.text = text;
    sendEvent(s, e);
}

void ChatService::sendError(Session& s, const std::string& text) {
    ChatEvent e;
    e.type = ChatEvent::Type::error;
    e.text = text;
    sendEvent(s, e);
}

void ChatService::deliverRoomEvent(const std::string& room, const SharedEvent& event) {
    auto it = roomMembers_.find(foldCase(room));
    if (it == roomMembers_.end()) return;
    // Copy: a send can drop a slow consumer, which removes it from the set we iterate.
    std::vector<Session*> members(it->second.begin(), it->second.end());
    for (Session* s : members)
        if (!s->conn.closed()) s->conn.send(s->json ? event->json : event->text);
}

void ChatService::deliverPrivate(const std::string& foldedNick, const ChatEvent& event) {
    auto it = byNick_.find(foldedNick);
    if (it == byNick_.end() || it->second->conn.closed()) return;
    ChatEvent copy = event;
    copy.nick = copy.to;  // the recipient's copy
    sendEvent(*it->second, copy);
}

void ChatService::onShutdown(Connection& conn) {
    Session* s = find(conn);
    if (!s || !s->quitReason.empty()) return;
    s->quitReason = "server shutting down";
    sendNotice(*s, "server shutting down");
}

void ChatService::onClose(Connection& conn, std::string_view reason) {
    auto it = sessions_.find(&conn);
    if (it == sessions_.end()) return;
    Session& s = *it->second;
    if (s.partialTimer) loop_.cancel(s.partialTimer);
    s.partialTimer = 0;
    std::string why = s.quitReason.empty() ? std::string(reason) : s.quitReason;
    hub_.leave(s.room, s.nick, worker_, why);
    hub_.removeNick(s.nick);
    if (auto members = roomMembers_.find(foldCase(s.room)); members != roomMembers_.end()) {
        members->second.erase(&s);
        if (members->second.empty()) roomMembers_.erase(members);
    }
    byNick_.erase(foldCase(s.nick));
    logger_.info("leave", "",
                 {{"conn", conn.id()}, {"nick", s.nick}, {"room", s.room}, {"reason", why}});
    // Destroy later: we may be inside this session's own line handling or a room fan-out.
    loop_.post([owned = std::shared_ptr<Session>(std::move(it->second))] {});
    sessions_.erase(it);
}

}  // namespace sockchatd
