#include "chat_service.h"

#include "../connection.h"
#include "sockchat/chat/command.h"
#include "sockchat/chat/names.h"
#include "sockchat/chat/sanitize.h"

namespace sockchatd {

using sockchat::chat::ParsedLine;
using sockchat::chat::TokenBucket;

ChatService::ChatService(sockchat::net::EventLoop& loop, ChatHub& hub, ChatSettings settings,
                         sockchat::log::Logger& logger)
    : loop_(loop),
      hub_(hub),
      settings_(std::move(settings)),
      logger_(logger),
      worker_(hub.attach(loop, *this)) {}

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

void ChatService::onAccept(Connection& conn) {
    auto owned = std::make_unique<Session>(conn, settings_.maxLineBytes,
                                           settings_.messagesPerSecond, settings_.burst);
    Session& s = *owned;
    sessions_.emplace(&conn, std::move(owned));
    auto client = hub_.addClient(worker_);
    s.client = client.id;
    s.nick = client.nick;
    byClient_[s.client] = &s;
}

void ChatService::describe(const Connection& conn,
                           std::vector<sockchat::log::Field>& fields) const {
    auto it = sessions_.find(&conn);
    if (it == sessions_.end()) return;
    fields.emplace_back("nick", it->second->nick);
    // Before its first join (the connect event) a session is on its way to the default room.
    const std::string& room = it->second->room;
    fields.emplace_back("room", room.empty() ? settings_.defaultRoom : room);
}

void ChatService::onOpen(Connection& conn) {
    Session* found = find(conn);
    if (!found) return;
    Session& s = *found;
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
    // A peer that reset at once is gone already (onClose ran): joining now would leave a
    // member behind that nobody removes.
    if (conn.closed()) return;
    enterRoom(s, settings_.defaultRoom);
}

void ChatService::enterRoom(Session& s, const std::string& room) {
    auto joined = hub_.join(room, s.nick, worker_);
    s.room = joined.room;
    s.roomId = joined.roomId;
    s.joinedSeq = joined.seq;
    roomMembers_[s.roomId].insert(&s);
    for (const auto& past : joined.history) sendEvent(s, past);
    logger_.info("join", "",
                 {{"conn", s.conn.id()}, {"nick", s.nick}, {"room", s.room}, {"worker", worker_}});
}

void ChatService::leaveRoom(Session& s, const std::string& reason) {
    hub_.leave(s.room, s.nick, worker_, reason);
    if (auto members = roomMembers_.find(s.roomId); members != roomMembers_.end()) {
        members->second.erase(&s);
        if (members->second.empty()) roomMembers_.erase(members);
    }
    logger_.info("leave", "",
                 {{"conn", s.conn.id()}, {"nick", s.nick}, {"room", s.room}, {"reason", reason}});
}

void ChatService::onData(Connection& conn, std::string_view bytes) {
    Session* s = find(conn);
    if (!s) return;
    s->splitter.feed(
        bytes, [this, s](std::string_view line) { handleLine(*s, line); },
        [this, s] { lineTooLong(*s); });
    if (!conn.closed()) armPartialTimer(*s);
}

void ChatService::lineTooLong(Session& s) {
    if (s.conn.closed() || !s.quitReason.empty()) return;
    logger_.info("limit", "line too long, discarded",
                 {{"conn", s.conn.id()},
                  {"nick", s.nick},
                  {"reason", "max_line_bytes"},
                  {"limit", settings_.maxLineBytes}});
    sendError(
        s, "line too long (over " + std::to_string(settings_.maxLineBytes) + " bytes), discarded");
}

void ChatService::armPartialTimer(Session& s) {
    if (s.partialTimer) loop_.cancel(s.partialTimer);
    s.partialTimer = 0;
    if (!s.splitter.hasPartial()) return;
    // Clients that send without a newline (the tutorial's) still get their line handled.
    s.partialTimer = loop_.runAfter(settings_.partialLineTimeout, [this, ptr = &s] {
        ptr->partialTimer = 0;
        ptr->splitter.flushPartial([this, ptr](std::string_view line) { handleLine(*ptr, line); },
                                   [this, ptr] { lineTooLong(*ptr); });
    });
}

void ChatService::handleLine(Session& s, std::string_view raw) {
    // Lines after /quit or a close (slow consumer) in the same read are dropped.
    if (s.conn.closed() || !s.quitReason.empty()) return;
    ParsedLine line = sockchat::chat::parseLine(sockchat::chat::sanitizeText(raw));
    if (line.kind == ParsedLine::Kind::blank) return;
    if (!s.bucket.take(TokenBucket::Clock::now())) {
        if (!s.throttled)
            logger_.info("limit", "rate limited",
                         {{"conn", s.conn.id()}, {"nick", s.nick}, {"reason", "rate limit"}});
        s.throttled = true;
        sendError(s, "slow down");
        return;
    }
    s.throttled = false;
    if (line.kind == ParsedLine::Kind::say)
        say(s, std::move(line.text), false);
    else
        handleCommand(s, line.name, line.text);
}

void ChatService::sendEvent(Session& s, const ChatEvent& event) {
    s.conn.send(s.json ? sockchat::chat::renderJson(event) : sockchat::chat::renderText(event));
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

void ChatService::deliverRoomEvent(const SharedEvent& event) {
    auto it = roomMembers_.find(event->roomId);
    if (it == roomMembers_.end()) return;
    // Copy: a send can drop a slow consumer, which removes it from the set we iterate.
    std::vector<Session*> members(it->second.begin(), it->second.end());
    for (Session* s : members) {
        // Posted before this member joined (it has them as history), or after its last words.
        if (event->seq < s->joinedSeq || !s->quitReason.empty() || s->conn.closed()) continue;
        s->conn.send(s->json ? event->json : event->text);
    }
}

void ChatService::deliverPrivate(std::uint64_t client, const ChatEvent& event) {
    auto it = byClient_.find(client);
    if (it == byClient_.end()) return;
    Session& s = *it->second;
    if (!s.quitReason.empty() || s.conn.closed()) return;
    sendEvent(s, event);
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
    if (s.roomId != 0) leaveRoom(s, s.quitReason.empty() ? std::string(reason) : s.quitReason);
    hub_.removeClient(s.nick);
    byClient_.erase(s.client);
    // Destroy later: we may be inside this session's own line handling or a room fan-out.
    loop_.post([owned = std::shared_ptr<Session>(std::move(it->second))] {});
    sessions_.erase(it);
}

}  // namespace sockchatd
