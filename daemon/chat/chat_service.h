#pragma once
// The chat service of one worker (design.md "Services: chat", PROTOCOL.md). Sessions live on
// this worker; rooms and nicks are daemon-wide in ChatHub, which posts room events back to
// deliverRoomEvent on this worker's loop. Everything here runs on the worker's loop thread.
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "../service.h"
#include "chat_hub.h"
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
};

class ChatService : public Service, public ChatEndpoint {
  public:
    ChatService(sockchat::net::EventLoop& loop, ChatHub& hub, ChatSettings settings,
                sockchat::log::Logger& logger);

    // Loop thread only (a reload posts it there).
    void applySettings(ChatSettings settings);

    void onAccept(Connection& conn) override;
    void onOpen(Connection& conn) override;
    void onData(Connection& conn, std::string_view bytes) override;
    void onEndOfInput(Connection& conn) override;
    void onClose(Connection& conn, std::string_view reason) override;
    void onClosing(Connection& conn, std::string_view reason) override;
    bool pausesOnFullOutput() const override { return false; }
    void describe(const Connection& conn, std::vector<sockchat::log::Field>& fields) const override;
    std::optional<std::string> refusalLine(std::string_view reason) const override;

    void deliverRoomEvent(const SharedEvent& event) override;
    void deliverPrivate(std::uint64_t client, const ChatEvent& event) override;

  private:
    // One room a session is in. It stays a member until its own leave event has come back, so
    // it sees every event of the room up to its leave, in order.
    struct Membership {
        std::string name;  // display name
        std::uint64_t roomId = 0;
        std::uint64_t joinedSeq = 0;  // room events before our own join are history, not news
        std::uint64_t leftSeq = 0;    // our leave event; 0 while we are in the room
    };
    struct Session {
        Session(Connection& c, std::size_t maxLine, double rate, double burst)
            : conn(c),
              splitter(maxLine),
              bucket(rate, burst, sockchat::chat::TokenBucket::Clock::now()) {}
        Connection& conn;
        std::uint64_t client = 0;  // the hub's id for private delivery
        std::string nick;
        std::vector<Membership> rooms;  // in join order
        std::string current;            // display name of the room text goes to; "" = none
        bool json = false;
        bool greeted = false;  // welcome sent (after /hello, a first line or a quiet moment)
        bool chatted = false;  // has sent a chat line: foreign-protocol checks are over
        sockchat::chat::ForeignProtocol foreign = sockchat::chat::ForeignProtocol::none;
        bool throttled = false;  // rate limited since the last accepted line (logged once)
        std::string quitReason;  // set by /quit or a close we started: no more input or events
        // Our own room events not yet delivered back to us; until they are, further input
        // lines wait in `queued`, so a pasted burst behaves like the same lines typed slowly.
        std::vector<ChatHub::Published> awaiting;
        std::deque<std::string> queued;
        std::size_t queuedBytes = 0;
        sockchat::chat::LineSplitter splitter;
        sockchat::chat::TokenBucket bucket;
        sockchat::net::EventLoop::TimerId partialTimer = 0;
        sockchat::net::EventLoop::TimerId greetTimer = 0;
    };

    // chat_service.cc: session lifecycle, input, output, delivery.
    void acceptLine(Session& s, std::string_view raw);
    void handleLine(Session& s, const std::string& line);
    void resumeQueued(Session& s);
    bool handleBeforeGreeting(Session& s, const std::string& line);
    bool rejectForeign(Session& s, const std::string& line);
    void greet(Session& s, const sockchat::chat::Hello& hello);
    void enterRoom(Session& s, const std::string& room);
    void leaveRoom(Session& s, Membership& room, const std::string& reason);
    // The session is gone (the hub has been told): log its leaves, drop it from this worker.
    void forgetRooms(Session& s, const std::string& reason);
    Membership* membership(Session& s, std::string_view room);
    void armPartialTimer(Session& s);
    void lineTooLong(Session& s);
    void sendEvent(Session& s, const ChatEvent& event);
    void sendNotice(Session& s, const std::string& text);
    void sendError(Session& s, const std::string& text);
    Session* find(Connection& conn);

    // chat_commands.cc: what each command does.
    void handleCommand(Session& s, const std::string& name, std::string_view args);
    void say(Session& s, const std::string& room, std::string text, bool action);
    void hello(Session& s, std::string_view args);
    void changeNick(Session& s, std::string_view name);
    void joinRoom(Session& s, std::string_view name);
    void partRoom(Session& s, std::string_view args);
    void who(Session& s, std::string_view room);
    void listRooms(Session& s);
    void message(Session& s, std::string_view args);
    void privateMessage(Session& s, std::string_view target, std::string_view text);
    void topic(Session& s, std::string_view text);
    void away(Session& s, std::string_view text);
    void whois(Session& s, std::string_view nick);
    void setMode(Session& s, std::string_view mode);
    void quit(Session& s, std::string_view reason);
    void help(Session& s);

    sockchat::net::EventLoop& loop_;
    ChatHub& hub_;
    ChatSettings settings_;
    sockchat::log::Logger& logger_;
    std::size_t worker_;

    std::unordered_map<const Connection*, std::unique_ptr<Session>> sessions_;
    // room id -> sessions of this worker that get the room's events (leavers until their leave)
    std::unordered_map<std::uint64_t, std::set<Session*>> roomMembers_;
    std::unordered_map<std::uint64_t, Session*> byClient_;  // hub client id
};

}  // namespace sockchatd
