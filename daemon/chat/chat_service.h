#pragma once
// The chat service of one worker (design.md "Services: chat", PROTOCOL.md). Sessions live on
// this worker; rooms and nicks are daemon-wide in ChatHub, which posts room events back to
// deliverRoomEvent on this worker's loop.
#include <chrono>
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
    ~ChatService() override;

    // Loop thread only (a reload posts it there).
    void applySettings(ChatSettings settings);

    void onOpen(Connection& conn) override;
    void onData(Connection& conn, std::string_view bytes) override;
    void onClose(Connection& conn, std::string_view reason) override;
    void onShutdown(Connection& conn) override;
    bool pausesOnFullOutput() const override { return false; }
    std::optional<std::string> refusalLine(std::string_view reason) const override;

    void deliverRoomEvent(const std::string& room, const SharedEvent& event) override;
    void deliverPrivate(const std::string& foldedNick, const ChatEvent& event) override;

  private:
    struct Session {
        Session(Connection& c, std::size_t maxLine, double rate, double burst)
            : conn(c),
              splitter(maxLine),
              bucket(rate, burst, sockchat::chat::TokenBucket::Clock::now()) {}
        Connection& conn;
        std::string nick;
        std::string room;  // display name
        bool json = false;
        std::string quitReason;
        sockchat::chat::LineSplitter splitter;
        sockchat::chat::TokenBucket bucket;
        sockchat::net::EventLoop::TimerId partialTimer = 0;
    };

    void handleLine(Session& s, std::string_view raw);
    void handleCommand(Session& s, std::string_view command, std::string_view args);
    void say(Session& s, const std::string& text, bool action);
    void changeNick(Session& s, std::string_view name);
    void joinRoom(Session& s, std::string_view name);
    void privateMessage(Session& s, std::string_view args);
    void sendEvent(Session& s, const ChatEvent& event);
    void sendNotice(Session& s, const std::string& text);
    void sendError(Session& s, const std::string& text);
    void enterRoom(Session& s, const std::string& room);
    void armPartialTimer(Session& s);
    Session* find(Connection& conn);

    sockchat::net::EventLoop& loop_;
    ChatHub& hub_;
    ChatSettings settings_;
    sockchat::log::Logger& logger_;
    std::size_t worker_;

    std::unordered_map<Connection*, std::unique_ptr<Session>> sessions_;
    std::unordered_map<std::string, std::set<Session*>> roomMembers_;  // folded room -> sessions
    std::unordered_map<std::string, Session*> byNick_;                 // folded nick -> session
};

}  // namespace sockchatd
