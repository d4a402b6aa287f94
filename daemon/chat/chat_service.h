#pragma once
// The chat service of one worker (design.md "Services: chat", PROTOCOL.md). Sessions live on
// this worker; rooms and nicks are daemon-wide in a ChatBackend (this process's memory or a
// cluster's Redis), which sends room events back to deliverRoomEvent on this worker's loop.
// Everything here runs on the worker's loop thread.
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "../service.h"
#include "../worker_stats.h"
#include "chat_backend.h"
#include "sockchat/chat/handshake.h"
#include "sockchat/chat/line_splitter.h"
#include "sockchat/chat/token_bucket.h"
#include "sockchat/log/logger.h"
#include "sockchat/net/event_loop.h"

namespace sockchatd {

struct ChatSettings {
    std::string defaultRoom = "lobby";
    unsigned history = 20;
    std::string motd;
    std::chrono::milliseconds partialLineTimeout{200};
    std::size_t maxLineBytes = 4096;
    double messagesPerSecond = 5;
    unsigned burst = 20;
    unsigned maxRoomsPerClient = 20;
    std::chrono::milliseconds idleTimeout{0};  // announced in the welcome, so clients can /ping
    // Joins and leaves in a room bigger than this are shown only to the one who joins or leaves
    // (0: always shown): in a room of n members, n joins would cost n² lines.
    std::size_t presenceLimit = 1000;
};

class ChatService : public Service, public ChatEndpoint {
  public:
    ChatService(sockchat::net::EventLoop& loop, ChatBackend& backend, ChatSettings settings,
                sockchat::log::Logger& logger, WorkerStats& stats);

    // Loop thread only (a reload posts it there).
    void applySettings(ChatSettings settings);

    void onAccept(Connection& conn) override;
    void onOpen(Connection& conn) override;
    void onData(Connection& conn, std::string_view bytes) override;
    void onEndOfInput(Connection& conn) override;
    void onClose(Connection& conn, std::string_view reason) override;
    void onClosing(Connection& conn, std::string_view reason) override;
    bool pausesOnFullOutput() const override { return false; }
    // Complete lines are activity; bytes of a line that never ends are not (a dribbler).
    bool reportsActivity() const override { return true; }
    void describe(const Connection& conn, std::vector<sockchat::log::Field>& fields) const override;
    std::optional<std::string> refusalLine(std::string_view reason) const override;

    void deliverRoomEvent(const SharedEvent& event) override;
    void deliverPrivate(std::uint64_t client, const ChatEvent& event) override;
    void linkChanged(bool up, const std::string& text) override;
    void forceNick(std::uint64_t client, const std::string& nick, const std::string& why) override;

    // The operator's view and voice (chat_admin.cc, the admin socket's clients/kick/say).
    struct SessionInfo {
        std::string nick;
        std::string current;             // the room text goes to; "" = none
        std::vector<std::string> rooms;  // in join order
    };
    std::optional<SessionInfo> sessionInfo(const Connection& conn) const;
    // The connection whose nick is `nick` (any case), nullptr if none on this worker.
    Connection* findByNick(std::string_view nick);
    // A server notice "[operator] TEXT" (sanitised like chat text) to every greeted session that
    // is in `room` (any case, with or without '#'), or to all greeted sessions when `room` is
    // empty. Returns how many got it.
    std::size_t operatorNotice(std::string_view room, const std::string& text);
    // The same to one connection; false if it is not a greeted chat session.
    bool operatorNotice(const Connection& conn, const std::string& text);

  private:
    // One room a session is in. It stays a member until its own leave event has come back, so
    // it sees every event of the room up to its leave, in order.
    struct Membership {
        std::string name;  // display name
        std::uint64_t roomId = 0;
        std::uint64_t joinedSeq = 0;  // room events before our own join are history, not news
        std::uint64_t leftSeq = 0;    // our leave event; 0 while we are in the room
        std::uint64_t lastSeq = 0;    // the last room event delivered here
    };
    static constexpr unsigned kPartialLinesTaken = 3;
    static constexpr unsigned kMaxStalls = 30;
    static constexpr double kListingsPerSecond = 1;
    static constexpr double kListingBurst = 10;
    struct Session {
        Session(Connection& c, std::size_t maxLine, double rate, double burst)
            : conn(c),
              splitter(maxLine),
              bucket(rate, burst, sockchat::chat::TokenBucket::Clock::now()),
              listings(kListingsPerSecond, kListingBurst,
                       sockchat::chat::TokenBucket::Clock::now()) {}
        Connection& conn;
        std::uint64_t client = 0;  // the backend's id for private delivery
        std::string nick;
        std::vector<Membership> rooms;  // in join order
        std::string current;            // display name of the room text goes to; "" = none
        // Rooms a session in no room could not join (the backend's link was down): joined when
        // the link is back.
        std::vector<std::string> unjoined;
        bool json = false;
        bool greeted = false;  // welcome sent (after /hello, a first line or a quiet moment)
        bool chatted = false;  // has sent a chat line: foreign-protocol checks are over
        sockchat::chat::ForeignProtocol foreign = sockchat::chat::ForeignProtocol::none;
        bool throttled = false;  // rate limited since the last accepted line (logged once)
        std::string quitReason;  // set by /quit or a close we started: no more input or events
        // Our own room events not yet delivered back to us; until they are, further input
        // lines wait in `queued`, so a pasted burst behaves like the same lines typed slowly.
        std::vector<ChatBackend::Published> awaiting;
        unsigned pending = 0;   // backend operations not yet answered: input waits for them too
        bool resuming = false;  // inside resumeQueued: an answer given at once must not recurse
        std::deque<std::string> queued;
        std::size_t queuedBytes = 0;
        sockchat::chat::LineSplitter splitter;
        sockchat::chat::TokenBucket bucket;
        // Listing commands (/rooms, /who, /whois) answer a few bytes with up to a page: they
        // get a budget of their own on top of the line rate, as IRC servers pace LIST and WHO.
        sockchat::chat::TokenBucket listings;
        sockchat::net::EventLoop::TimerId partialTimer = 0;
        // Partial lines (partial_line_timeout): a client that has never ended a line gets its
        // first kPartialLinesTaken taken as lines; after that, or once it has sent a newline,
        // a partial line waits for its newline, and a line that stalls kMaxStalls times is a
        // dribbler (a byte at a time would otherwise be a message a byte to the whole room).
        bool endedLine = false;
        unsigned partialLines = 0;
        unsigned stalls = 0;  // of the line being received
        sockchat::net::EventLoop::TimerId greetTimer = 0;
    };

    // chat_service.cc: session lifecycle, input, output, delivery.
    void acceptLine(Session& s, std::string_view raw);
    void handleLine(Session& s, const std::string& line);
    void resumeQueued(Session& s);
    bool handleBeforeGreeting(Session& s, const std::string& line);
    bool rejectForeign(Session& s, const std::string& line);
    void greet(Session& s, const sockchat::chat::Hello& hello);
    // Joins `rooms` one after another, in order, so the first stays first.
    void enterRooms(Session& s, std::vector<std::string> rooms, bool firstIsCurrent);
    void leaveRoom(Session& s, Membership& room, const std::string& reason);
    // The session is gone (the backend has been told): log its leaves, drop it from this worker.
    void forgetRooms(Session& s, const std::string& reason);
    Membership* membership(Session& s, std::string_view room);
    // No more events of that room for `s` on this worker.
    void dropMembership(Session& s, std::vector<Membership>::iterator m);
    void armPartialTimer(Session& s);
    // The partial line saw no byte for partial_line_timeout.
    void partialLineStalled(Session& s);
    void lineTooLong(Session& s);
    void sendEvent(Session& s, const ChatEvent& event);
    void sendNotice(Session& s, const std::string& text);
    void sendError(Session& s, const std::string& text);
    Session* find(Connection& conn);
    bool busy(const Session& s) const { return s.pending > 0 || !s.awaiting.empty(); }
    // Our own event: wait for it unless it has come back already (a cluster may deliver it
    // before the backend's answer).
    void awaitOwn(Session& s, const ChatBackend::Published& event);

    // The backend answered for `client`: its session, or nullptr if it is gone or closing.
    Session* answered(std::uint64_t client);
    // The callback for a backend operation on behalf of `s`: input waits until it has run;
    // then, if the session is still there, an error is sent to it or `then(session, value)`
    // runs, and waiting input resumes.
    template <class T, class Then>
    ChatBackend::Done<T> whenDone(Session& s, Then then) {
        ++s.pending;
        return [this, client = s.client, then = std::move(then)](ChatResult<T> result) mutable {
            Session* session = answered(client);
            if (!session) return;
            if (!result.ok())
                sendError(*session, result.error);
            else
                then(*session, std::move(result.value));
            resumeQueued(*session);
        };
    }

    // chat_commands.cc: what each command does.
    void handleCommand(Session& s, const std::string& name, std::string_view args);
    void say(Session& s, const std::string& room, std::string text, bool action);
    // Publishes an event of our own and waits for it to come back.
    void publishOwn(Session& s, ChatEvent event);
    void hello(Session& s, std::string_view args);
    void changeNick(Session& s, std::string_view name);
    void joinRoom(Session& s, std::string_view name);
    void partRoom(Session& s, std::string_view args);
    void who(Session& s, std::string_view args);
    void listRooms(Session& s, std::string_view args);
    // Takes a listing token, or tells the client to slow down and returns false.
    bool mayList(Session& s, std::string_view command);
    void message(Session& s, std::string_view args);
    void privateMessage(Session& s, std::string_view target, std::string_view text);
    void topic(Session& s, std::string_view text);
    void away(Session& s, std::string_view text);
    void whois(Session& s, std::string_view nick);
    void setMode(Session& s, std::string_view mode);
    void quit(Session& s, std::string_view reason);
    void help(Session& s);

    sockchat::net::EventLoop& loop_;
    ChatBackend& backend_;
    ChatSettings settings_;
    sockchat::log::Logger& logger_;
    WorkerStats& stats_;
    std::size_t worker_;

    std::unordered_map<const Connection*, std::unique_ptr<Session>> sessions_;
    // room id -> sessions of this worker that get the room's events (leavers until their leave)
    std::unordered_map<std::uint64_t, std::set<Session*>> roomMembers_;
    std::unordered_map<std::uint64_t, Session*> byClient_;  // backend client id
};

}  // namespace sockchatd
