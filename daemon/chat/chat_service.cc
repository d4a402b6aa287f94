#include "chat_service.h"

#include <algorithm>

#include "../connection.h"
#include "sockchat/chat/command.h"
#include "sockchat/chat/names.h"
#include "sockchat/chat/sanitize.h"

namespace sockchatd {

using sockchat::chat::foldCase;
using sockchat::chat::ForeignProtocol;
using sockchat::chat::ParsedLine;
using sockchat::chat::TokenBucket;

namespace {

// How long a silent client waits for its greeting (at most: a shorter partial_line_timeout
// wins): long enough for a /hello sent right after connecting, short enough not to be noticed.
constexpr std::chrono::milliseconds kGreetingWait{250};

// A queued overlong line: its error must keep its place among the lines around it.
const std::string kOverlongMarker("\0overlong", 9);

// Input queued behind a client's own pending events, before the client stops being read.
std::size_t queueLimit(std::size_t maxLineBytes) {
    return std::max<std::size_t>(64 * 1024, 4 * maxLineBytes);
}

std::string closingReason(std::string_view reason) {
    // The disconnect event says "shutdown"; the client reads what is happening.
    if (reason == "shutdown") return "shutting down";
    // "kick" or "kick: REASON" (the admin socket's kick).
    if (reason.starts_with("kick"))
        return "kicked by the operator" +
               std::string(reason.substr(std::string_view("kick").size()));
    return std::string(reason);
}

}  // namespace

ChatService::ChatService(sockchat::net::EventLoop& loop, ChatBackend& backend,
                         ChatSettings settings, sockchat::log::Logger& logger, WorkerStats& stats)
    : loop_(loop),
      backend_(backend),
      settings_(std::move(settings)),
      logger_(logger),
      stats_(stats),
      worker_(backend.attach(loop, *this)) {}

void ChatService::applySettings(ChatSettings settings) {
    settings_ = std::move(settings);
    for (auto& [_, s] : sessions_) {
        s->splitter.setMaxLineBytes(settings_.maxLineBytes);
        s->bucket.reconfigure(settings_.messagesPerSecond, settings_.burst);
    }
}

std::optional<std::string> ChatService::refusalLine(std::string_view reason) const {
    return "! closing: server full (" + std::string(reason) + ")\n";
}

ChatService::Session* ChatService::find(Connection& conn) {
    auto it = sessions_.find(&conn);
    return it == sessions_.end() ? nullptr : it->second.get();
}

ChatService::Membership* ChatService::membership(Session& s, std::string_view room) {
    std::string key = foldCase(room);
    for (auto& m : s.rooms)
        if (m.leftSeq == 0 && foldCase(m.name) == key) return &m;
    return nullptr;
}

void ChatService::onAccept(Connection& conn) {
    auto owned = std::make_unique<Session>(conn, settings_.maxLineBytes,
                                           settings_.messagesPerSecond, settings_.burst);
    Session& s = *owned;
    sessions_.emplace(&conn, std::move(owned));
    auto client = backend_.addClient(worker_);
    s.client = client.id;
    s.nick = client.nick;
    byClient_[s.client] = &s;
}

void ChatService::describe(const Connection& conn,
                           std::vector<sockchat::log::Field>& fields) const {
    auto it = sessions_.find(&conn);
    if (it == sessions_.end()) return;
    fields.emplace_back("nick", it->second->nick);
    const std::string& room = it->second->current;
    if (!room.empty()) fields.emplace_back("room", room);
}

void ChatService::onOpen(Connection& conn) {
    Session* s = find(conn);
    if (!s) return;
    // The client may state mode, nick and rooms first (/hello); one that says nothing gets the
    // default greeting once it has been quiet as long as a partial line may be.
    s->greetTimer =
        loop_.runAfter(std::min(settings_.partialLineTimeout, kGreetingWait), [this, s] {
            s->greetTimer = 0;
            if (!s->greeted && s->quitReason.empty() && !s->conn.closed()) greet(*s, {});
        });
}

void ChatService::greet(Session& s, const sockchat::chat::Hello& hello) {
    if (s.greetTimer) loop_.cancel(s.greetTimer);
    s.greetTimer = 0;
    s.greeted = true;
    s.json = hello.json;
    std::vector<std::string> rooms = hello.rooms;
    if (rooms.empty()) rooms.push_back(settings_.defaultRoom);
    ChatEvent welcome;
    welcome.type = ChatEvent::Type::welcome;
    welcome.nick = s.nick;
    welcome.room = rooms.front();
    welcome.names = rooms;
    welcome.idleTimeoutMs = settings_.idleTimeout.count();
    welcome.maxRooms = settings_.maxRoomsPerClient;
    welcome.text = "Welcome to sockchatd! You are " + s.nick + " in #" + rooms.front() +
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
    if (s.conn.closed()) return;
    // The first is the current room, as the welcome says.
    enterRooms(s, std::move(rooms), true);
}

void ChatService::enterRooms(Session& s, std::vector<std::string> rooms, bool firstIsCurrent) {
    // Kept until joined: if the backend cannot answer now, a session in no room joins them
    // when it can (linkChanged).
    s.unjoined = s.rooms.empty() ? rooms : std::vector<std::string>{};
    if (rooms.empty()) return;
    std::string room = rooms.front();
    backend_.join(
        room, s.nick, worker_,
        whenDone<ChatBackend::Joined>(s, [this, rooms = std::move(rooms), firstIsCurrent](
                                             Session& s, ChatBackend::Joined joined) mutable {
            s.rooms.push_back({joined.room, joined.roomId, joined.seq, 0, 0});
            if (firstIsCurrent) s.current = joined.room;
            awaitOwn(s, {joined.roomId, joined.seq});
            roomMembers_[joined.roomId].insert(&s);
            if (!joined.topic.text.empty()) sendEvent(s, joined.topic);
            for (const auto& past : joined.history) sendEvent(s, *past);
            logger_.clientEvent("join", "",
                                {{"conn", s.conn.id()},
                                 {"nick", s.nick},
                                 {"room", joined.room},
                                 {"worker", worker_}});
            rooms.erase(rooms.begin());
            enterRooms(s, std::move(rooms), false);
        }));
}

void ChatService::leaveRoom(Session& s, Membership& room, const std::string& reason) {
    std::uint64_t roomId = room.roomId;
    backend_.leave(
        room.name, s.nick, worker_, reason,
        whenDone<std::optional<ChatBackend::Published>>(
            s, [this, roomId, reason](Session& s, std::optional<ChatBackend::Published> left) {
                auto m = std::find_if(s.rooms.begin(), s.rooms.end(), [&](const Membership& r) {
                    return r.roomId == roomId && r.leftSeq == 0;
                });
                if (m == s.rooms.end()) return;
                logger_.clientEvent("leave", "",
                                    {{"conn", s.conn.id()},
                                     {"nick", s.nick},
                                     {"room", m->name},
                                     {"reason", reason}});
                if (foldCase(s.current) == foldCase(m->name)) s.current.clear();
                // Still a member until the leave comes back (deliverRoomEvent drops the
                // membership), unless it has come back already.
                m->leftSeq = left ? left->seq : ~std::uint64_t{0};
                if (left && m->lastSeq < left->seq)
                    awaitOwn(s, *left);
                else
                    dropMembership(s, m);
                if (s.current.empty())
                    for (auto it = s.rooms.rbegin(); it != s.rooms.rend(); ++it)
                        if (it->leftSeq == 0) {
                            s.current = it->name;
                            break;
                        }
            }));
}

void ChatService::dropMembership(Session& s, std::vector<Membership>::iterator m) {
    if (auto members = roomMembers_.find(m->roomId); members != roomMembers_.end()) {
        members->second.erase(&s);
        if (members->second.empty()) roomMembers_.erase(members);
    }
    s.rooms.erase(m);
}

ChatService::Session* ChatService::answered(std::uint64_t client) {
    auto it = byClient_.find(client);
    if (it == byClient_.end()) return nullptr;
    Session& s = *it->second;
    --s.pending;
    if (!s.quitReason.empty() || s.conn.closed()) return nullptr;
    return &s;
}

void ChatService::awaitOwn(Session& s, const ChatBackend::Published& event) {
    for (const auto& m : s.rooms)
        if (m.roomId == event.roomId && m.lastSeq < event.seq) {
            s.awaiting.push_back(event);
            return;
        }
}

void ChatService::forgetRooms(Session& s, const std::string& reason) {
    for (auto& m : s.rooms) {
        if (m.leftSeq == 0)
            logger_.info(
                "leave", "",
                {{"conn", s.conn.id()}, {"nick", s.nick}, {"room", m.name}, {"reason", reason}});
    }
    while (!s.rooms.empty()) dropMembership(s, s.rooms.begin());
    s.current.clear();
}

void ChatService::onData(Connection& conn, std::string_view bytes) {
    Session* s = find(conn);
    if (!s) return;
    s->splitter.feed(
        bytes,
        [this, s](std::string_view line) {
            s->endedLine = true;
            s->stalls = 0;
            s->conn.noteActive();
            acceptLine(*s, line);
        },
        [this, s] { acceptLine(*s, kOverlongMarker); });
    if (!conn.closed()) armPartialTimer(*s);
}

void ChatService::onEndOfInput(Connection& conn) {
    Session* s = find(conn);
    if (!s || !s->quitReason.empty()) return;
    if (s->greeted || !s->splitter.hasPartial()) return;
    // Bytes and then end of input before any greeting: a one-shot client of another service
    // (sockctl echo, the tutorial's echo client) aimed at the chat port. Not chat.
    s->quitReason = "not a chat client";
    sendError(*s,
              "this is a sockchatd chat port (a line protocol: /hello, /help); your input "
              "was not posted");
}

void ChatService::lineTooLong(Session& s) {
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
        partialLineStalled(*ptr);
    });
}

void ChatService::partialLineStalled(Session& s) {
    if (!s.endedLine && s.partialLines < kPartialLinesTaken) {
        ++s.partialLines;
        s.conn.noteActive();
        s.splitter.flushPartial([this, ptr = &s](std::string_view line) { acceptLine(*ptr, line); },
                                [this, ptr = &s] { acceptLine(*ptr, kOverlongMarker); });
        return;
    }
    if (!s.quitReason.empty() || s.conn.closed()) return;
    ++s.stalls;
    // Said once per line, and only to a client that never ended a line: one that does and
    // stalled (a slow network) gets its line whole when the rest comes, as it expects.
    if (s.stalls == 1 && !s.endedLine)
        sendError(s, "end your lines with a newline: only the first " +
                         std::to_string(kPartialLinesTaken) +
                         " partial lines are taken as lines; this one waits for its newline");
    if (s.stalls < kMaxStalls) return;
    logger_.info(
        "limit", "dribbling",
        {{"conn", s.conn.id()}, {"nick", s.nick}, {"reason", "dribbling"}, {"limit", kMaxStalls}});
    s.conn.beginGracefulClose("dribbling", true);
}

void ChatService::acceptLine(Session& s, std::string_view raw) {
    // Lines after /quit or a close (slow consumer) in the same read are dropped.
    if (s.conn.closed() || !s.quitReason.empty()) return;
    std::string line = raw == kOverlongMarker ? kOverlongMarker : sockchat::chat::sanitizeText(raw);
    if (busy(s) || !s.queued.empty()) {
        s.queuedBytes += line.size();
        s.queued.push_back(std::move(line));
        if (s.queuedBytes >= queueLimit(settings_.maxLineBytes)) s.conn.holdInput(true);
        return;
    }
    handleLine(s, line);
}

void ChatService::resumeQueued(Session& s) {
    if (s.resuming) return;  // an answer given inside handleLine below: the loop goes on
    s.resuming = true;
    while (!busy(s) && !s.queued.empty() && s.quitReason.empty() && !s.conn.closed()) {
        std::string line = std::move(s.queued.front());
        s.queued.pop_front();
        s.queuedBytes -= line.size();
        handleLine(s, line);
    }
    s.resuming = false;
    if (s.queued.empty() && !s.conn.closed()) s.conn.holdInput(false);
}

bool ChatService::rejectForeign(Session& s, const std::string& line) {
    if (s.chatted) return false;
    ForeignProtocol foreign = sockchat::chat::detectForeignProtocol(line);
    if (foreign == ForeignProtocol::none)
        // An IRC client goes on registering (JOIN, PING, MODE...): one error is enough.
        return s.foreign == ForeignProtocol::irc && sockchat::chat::looksLikeIrcCommand(line);
    bool first = s.foreign == ForeignProtocol::none;
    s.foreign = foreign;
    if (!first) return true;
    // Not greeted either: a chat greeting would tell the lobby that a guest joined.
    if (s.greetTimer) loop_.cancel(s.greetTimer);
    s.greetTimer = 0;
    logger_.info("limit", "not a chat client",
                 {{"conn", s.conn.id()},
                  {"peer", s.conn.peer().toString()},
                  {"reason", foreign == ForeignProtocol::http ? "http request" : "irc client"}});
    if (foreign == ForeignProtocol::http) {
        sendError(s, "this is a sockchatd chat port, not an HTTP server");
        // An HTTP client waits for a response that will never come: let it go.
        s.quitReason = "not a chat client: http";
        s.conn.beginGracefulClose(s.quitReason, true);
    } else {
        sendError(s, "this is a sockchatd chat port (a line protocol: /hello, /help), not IRC");
    }
    return true;
}

bool ChatService::handleBeforeGreeting(Session& s, const std::string& line) {
    if (s.greeted) return false;
    if (line != kOverlongMarker && rejectForeign(s, line)) return true;
    ParsedLine parsed = sockchat::chat::parseLine(line);
    if (parsed.kind == ParsedLine::Kind::command && parsed.name == "hello") {
        hello(s, parsed.text);
        return true;
    }
    // Anything else: the client did not wait for the greeting (the tutorial's client sends its
    // text at once). Greet it first; its line follows once its join came back.
    greet(s, {});
    return false;
}

void ChatService::handleLine(Session& s, const std::string& line) {
    if (s.conn.closed() || !s.quitReason.empty()) return;
    if (handleBeforeGreeting(s, line)) return;
    if (busy(s)) {  // greeted just now: wait for the joins like any other line
        s.queuedBytes += line.size();
        s.queued.push_front(line);
        return;
    }
    if (line == kOverlongMarker) return lineTooLong(s);
    ParsedLine parsed = sockchat::chat::parseLine(line);
    if (parsed.kind == ParsedLine::Kind::blank) return;
    if (rejectForeign(s, line)) return;
    if (!s.bucket.take(TokenBucket::Clock::now())) {
        if (!s.throttled)
            logger_.info("limit", "rate limited",
                         {{"conn", s.conn.id()}, {"nick", s.nick}, {"reason", "rate limit"}});
        s.throttled = true;
        sendError(s, "slow down");
        return;
    }
    s.throttled = false;
    s.chatted = true;
    if (parsed.kind == ParsedLine::Kind::say)
        say(s, s.current, std::move(parsed.text), false);
    else
        handleCommand(s, parsed.name, parsed.text);
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
    std::vector<Session*> resume;
    // A big room's joins and leaves go to their own subject only (its order still needs them).
    bool quietPresence = !event->presenceOf.empty() && settings_.presenceLimit != 0 &&
                         event->members > settings_.presenceLimit;
    for (Session* s : members) {
        auto m = std::find_if(s->rooms.begin(), s->rooms.end(),
                              [&](const Membership& r) { return r.roomId == event->roomId; });
        if (m == s->rooms.end()) continue;
        // Posted before this member joined (it has them as history), after it left, or after
        // its last words.
        bool news = event->seq >= m->joinedSeq && (m->leftSeq == 0 || event->seq <= m->leftSeq);
        if (news && quietPresence && s->nick != event->presenceOf) news = false;
        if (news && s->quitReason.empty() && !s->conn.closed())
            s->conn.send(s->json ? event->json() : event->text);
        m->lastSeq = event->seq;
        if (m->leftSeq != 0 && event->seq >= m->leftSeq) dropMembership(*s, m);
        auto& awaiting = s->awaiting;
        std::size_t before = awaiting.size();
        std::erase_if(awaiting, [&](const ChatBackend::Published& p) {
            return p.roomId == event->roomId && p.seq <= event->seq;
        });
        if (before != awaiting.size() && awaiting.empty() && !s->queued.empty())
            resume.push_back(s);
    }
    // After the fan-out: a resumed line may publish, join or leave, which changes the sets.
    for (Session* s : resume) resumeQueued(*s);
}

void ChatService::deliverPrivate(std::uint64_t client, const ChatEvent& event) {
    auto it = byClient_.find(client);
    if (it == byClient_.end()) return;
    Session& s = *it->second;
    if (!s.quitReason.empty() || s.conn.closed()) return;
    sendEvent(s, event);
}

void ChatService::linkChanged(bool up, const std::string& text) {
    for (auto& [_, owned] : sessions_) {
        Session& s = *owned;
        if (!s.greeted || !s.quitReason.empty() || s.conn.closed()) continue;
        sendNotice(s, text);
        if (up && !s.unjoined.empty() && s.rooms.empty() && !busy(s))
            enterRooms(s, std::move(s.unjoined), true);
    }
}

void ChatService::forceNick(std::uint64_t client, const std::string& nick, const std::string& why) {
    auto it = byClient_.find(client);
    if (it == byClient_.end()) return;
    Session& s = *it->second;
    logger_.clientEvent("nick", why, {{"conn", s.conn.id()}, {"from", s.nick}, {"nick", nick}});
    s.nick = nick;
    if (s.quitReason.empty() && !s.conn.closed()) sendNotice(s, why);
}

void ChatService::onClosing(Connection& conn, std::string_view reason) {
    Session* s = find(conn);
    if (!s || !s->quitReason.empty()) return;
    s->quitReason = std::string(reason);
    if (s->greetTimer) loop_.cancel(s->greetTimer);
    s->greetTimer = 0;
    ChatEvent e;
    e.type = ChatEvent::Type::closing;
    e.text = closingReason(reason);
    sendEvent(*s, e);
}

void ChatService::onClose(Connection& conn, std::string_view reason) {
    auto it = sessions_.find(&conn);
    if (it == sessions_.end()) return;
    Session& s = *it->second;
    if (s.partialTimer) loop_.cancel(s.partialTimer);
    if (s.greetTimer) loop_.cancel(s.greetTimer);
    s.partialTimer = s.greetTimer = 0;
    std::string why = s.quitReason.empty() ? std::string(reason) : s.quitReason;
    backend_.removeClient(s.client, s.nick, worker_, why);
    forgetRooms(s, why);
    byClient_.erase(s.client);
    // Destroy later: we may be inside this session's own line handling or a room fan-out.
    loop_.post([owned = std::shared_ptr<Session>(std::move(it->second))] {});
    sessions_.erase(it);
}

}  // namespace sockchatd
