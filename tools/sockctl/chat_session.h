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

#include "chat_event.h"
#include "chat_frontend.h"
#include "connector.h"
#include "endpoint.h"
#include "line_channel.h"
#include "renderer.h"
#include "script_queue.h"

namespace sockctl {

struct ChatOptions {
    std::string address;  // HOST[:PORT] as given; empty = from the config
    std::string nick;     // --nick: set after connecting (and again after every reconnect)
    std::string room;     // --room: likewise
    bool noColour = false;
    bool json = false;         // print the server's JSON lines as they are
    bool noReconnect = false;  // connection lost → exit 1 instead of reconnecting
    bool noBell = false;       // no terminal bell on a mention or a private message
};

class ChatSession {
  public:
    using Clock = std::chrono::steady_clock;

    // The renderer is shared with the frontend, which renders its own status lines: one clock
    // for the day-change markers.
    ChatSession(Endpoint endpoint, ChatOptions options, ChatFrontend& frontend, Renderer& renderer);

    // Runs on an established connection until the user leaves (exit 0) or the connection is
    // lost for good (exit 1); returns the exit code.
    int run(sockchat::net::Fd connected);

  private:
    void connected(sockchat::net::Fd fd);
    void disconnected(const std::string& why);
    // Sets reconnectAt_ after the current backoff and doubles it; returns the wait.
    std::chrono::seconds scheduleReconnect();
    void startReconnect();
    void connectStep();

    void readServer();
    void handleServerLine(const std::string& line);
    void handleEvent(const ChatEvent& event, const std::string& raw);
    bool restoreState();
    void becomeReady();

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
    ChatOptions options_;
    ChatFrontend& frontend_;
    Renderer& renderer_;
    Connector connector_;

    std::unique_ptr<LineChannel> channel_;
    bool everConnected_ = false;
    bool reconnected_ = false;  // this connection is not the first: its greeting is not shown
    bool answered_ = false;     // a first line came on this connection (and was chat-like)
    bool welcomeSeen_ = false;  // the server has answered "/mode json" on this connection
    bool restoreSent_ = false;  // /nick and /join for --nick/--room (or the old state) went out
    bool syncPending_ = false;  // ... followed by a "/mode json" whose welcome is not here yet
    bool ready_ = false;        // nick and room are what they should be: input may flow
    Clock::time_point welcomeDeadline_{};

    std::string nick_, room_;          // as the server last told us
    std::string wantNick_, wantRoom_;  // what to restore after a reconnect

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
