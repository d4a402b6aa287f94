#pragma once
// ChatSession: one `sockctl chat` run. It owns the connection to the chat service and its
// protocol state (JSON mode, our nick and room), reconnects with backoff when the connection
// is lost and restores nick and room, and turns the frontend's input into protocol lines.
//
// Everything happens in one poll loop on one thread: the socket (or a connect in progress), the
// frontend's fds (stdin, signals) and the timers (reconnect backoff, end-of-input wait).
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chat_event.h"
#include "chat_frontend.h"
#include "connector.h"
#include "endpoint.h"
#include "line_channel.h"
#include "renderer.h"
#include "script_queue.h"
#include "sockchat/tls/client_context.h"
#include "tls_flags.h"

namespace sockctl {

struct ChatOptions {
    std::string address;  // HOST[:PORT] as given; empty = from the config
    std::string nick;     // --nick: asked for in the /hello (and again after every reconnect)
    std::vector<std::string> rooms;  // --room (repeatable): likewise; the first is current
    bool quiet = false;              // pipe mode: only the events after the handshake (no greeting)
    bool noColour = false;
    bool json = false;         // print the server's JSON lines as they are
    bool noReconnect = false;  // connection lost → exit 1 instead of reconnecting
    bool noBell = false;       // no terminal bell on a mention or a private message
    TlsFlags tls;              // --tls, --cacert, -k, --cert, --key
};

class ChatSession {
  public:
    using Clock = std::chrono::steady_clock;

    // The renderer is shared with the frontend, which renders its own status lines: one clock
    // for the day-change markers. `tls` (null: plain TCP) is what every reconnect uses too.
    ChatSession(Endpoint endpoint, std::shared_ptr<const sockchat::tls::ClientContext> tls,
                ChatOptions options, ChatFrontend& frontend, Renderer& renderer);

    // Runs on an established connection until the user leaves (exit 0) or the connection is
    // lost for good (exit 1; 77 when a reconnect meets a certificate that fails verification);
    // returns the exit code.
    int run(SocketStream connected);

  private:
    void connected(SocketStream stream);
    // A reconnect's TCP connection is up: with TLS, the handshake, then connected().
    void reconnected(sockchat::net::Fd fd);
    void disconnected(const std::string& why);
    // Sets reconnectAt_ after the current backoff and doubles it; returns the wait.
    std::chrono::seconds scheduleReconnect();
    void startReconnect();
    void connectStep();

    void readServer();
    void handleServerLine(const std::string& line);
    void handleEvent(const ChatEvent& event, const std::string& raw);
    // "/hello json nick=... room=..." for what we want; fewer wishes after each refusal.
    void sendHello();
    void helloRefused(const ChatEvent& error);
    void trackOwnState(const ChatEvent& event);
    void becomeReady();
    void sendLine(const std::string& line);
    bool isKeepalivePong(const ChatEvent& event) const;

    void handleInput(const ChatFrontend::Input& input);
    // An interactive line that cannot go now (offline, or lines typed offline still on their
    // way): queued behind them.
    void queueTyped(const std::string& line);
    // Sends a script's next line if it may go; leaves after the last one.
    void sendScript();
    int scriptExitCode() const;
    // Sends quitLine, then hangUp().
    void leave(int exitCode, const std::string& quitLine);
    // Closes the connection politely, showing the server's last lines.
    void hangUp();
    void finish(int exitCode);
    void updateFrontend();

    bool acceptInput() const;
    int pollTimeoutMs() const;
    void checkTimers();

    Endpoint endpoint_;
    std::shared_ptr<const sockchat::tls::ClientContext> tls_;
    ChatOptions options_;
    ChatFrontend& frontend_;
    Renderer& renderer_;
    Connector connector_;

    std::unique_ptr<LineChannel> channel_;
    bool everConnected_ = false;
    bool reconnected_ = false;      // this connection is not the first: its greeting is not shown
    bool answered_ = false;         // a first line came on this connection (and was chat-like)
    bool welcomeSeen_ = false;      // the server has answered our /hello on this connection
    int helloRefusals_ = 0;         // refused /hello tries on this connection (nick taken, ...)
    std::size_t joinsPending_ = 0;  // our own joins the welcome announced, not here yet
    bool ready_ = false;            // greeted and joined: input may flow
    bool everReady_ = false;
    std::chrono::milliseconds idleTimeout_{0};  // the server's, from the welcome
    Clock::time_point lastSent_{};
    Clock::time_point welcomeDeadline_{};

    std::string nick_, room_;             // as the server last told us (room_: the current one)
    std::vector<std::string> rooms_;      // every room we are in, in join order
    std::string wantNick_;                // what to ask for after a reconnect
    std::vector<std::string> wantRooms_;  // likewise, the current room first

    std::chrono::seconds backoff_{1};  // the wait before the next reconnect attempt
    std::optional<Clock::time_point> reconnectAt_;

    ScriptQueue script_;          // a script's lines, sent one by one once the session is ready
    std::size_t inputLines_ = 0;  // lines read from a script's stdin so far
    bool inputDone_ = false;      // the script's stdin ended
    bool scriptFailed_ = false;   // the server refused one of its lines (exit 1)
    bool quitting_ = false;       // a script's "/quit" went out

    bool finished_ = false;
    int exitCode_ = 0;
};

}  // namespace sockctl
