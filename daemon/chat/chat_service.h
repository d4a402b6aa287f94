#pragma once
// The chat service of one worker (design.md "Services: chat", PROTOCOL.md). Sessions live on
// this worker; rooms and nicks are daemon-wide in ChatHub, which posts room events back to
// deliverRoomEvent on this worker's loop. Everything here runs on the worker's loop thread.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "../service.h"
#include "chat_hub.h"
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
    void onClose(Connection& conn, std::string_view reason) override;
    void onShutdown(Connection& conn) override;
    bool pausesOnFullOutput() const override { return false; }
    void describe(const Connection& conn, std::vector<sockchat::log::Field>& fields) const override;
    std::optional<std::string> refusalLine(std::string_view reason) const override;

    void deliverRoomEvent(const SharedEvent& event) override;
    void deliverPrivate(std::uint64_t client, const ChatEvent& event) override;

  private:
    struct Session {
        Session(Connection& c, std::size_t maxLine, double rate, double burst)
            : conn(c),
              splitter(maxLine),
              bucket(rate, burst, sockchat::chat::TokenBucket::Clock::now()) {}
        Connection& conn;
        std::uint64_t client = 0;  // the hub's id for private delivery
        std::string nick;
        std::string room;  // display name
        std::uint64_t roomId = 0;
        std::uint64_t joinedSeq = 0;  // room events before our own join are history, not news
        bool json = false;
        bool throttled = false;  // rate limited since the last accepted line (logged once)
        std::string quitReason;  // set by /quit or shutdown: no more input or events
        sockchat::chat::LineSplitter splitter;
        sockchat::chat::TokenBucket bucket;
        sockchat::net::EventLoop::TimerId partialTimer = 0;
    };

    // chat_service.cc: session lifecycle, input, output, delivery.
    void handleLine(Session& s, std::string_view raw);
    void enterRoom(Session& s, const std::string& room);
    void leaveRoom(Session& s, const std::string& reason);
    void armPartialTimer(Session& s);
    void lineTooLong(Session& s);
    void sendEvent(Session& s, const ChatEvent& event);
    void sendNotice(Session& s, const std::string& text);
    void sendError(Session& s, const std::string& text);
    Session* find(Connection& conn);

    // chat_commands.cc: what each command does.
    void handleCommand(Session& s, const std::string& name, std::string_view args);
    void say(Session& s, std::string text, bool action);
    void changeNick(Session& s, std::string_view name);
    void joinRoom(Session& s, std::string_view name);
    void who(Session& s, std::string_view room);
    void listRooms(Session& s);
    void privateMessage(Session& s, std::string_view args);
    void setMode(Session& s, std::string_view mode);
    void quit(Session& s, std::string_view reason);
    void help(Session& s);

    sockchat::net::EventLoop& loop_;
    ChatHub& hub_;
    ChatSettings settings_;
    sockchat::log::Logger& logger_;
    std::size_t worker_;

    std::unordered_map<const Connection*, std::unique_ptr<Session>> sessions_;
    std::unordered_map<std::uint64_t, std::set<Session*>> roomMembers_;  // room id -> sessions
    std::unordered_map<std::uint64_t, Session*> byClient_;               // hub client id
};

}  // namespace sockchatd
