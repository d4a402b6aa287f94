#pragma once
// ScriptQueue: a script's lines on their way to the chat server, one at a time (stop and wait).
// The next line goes out only once the server has answered the one before, so the server's rate
// limit costs nothing: a line answered "slow down" goes back to the front and is sent again
// after a pause. The pause adapts to the server's rate: doubled on every "slow down", a little
// shorter after every line that gets through (the server does not say its rate).
//
// Pure bookkeeping with the time passed in; ChatSession does the sending.
#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "chat_event.h"

namespace sockctl {

class ScriptQueue {
  public:
    using Clock = std::chrono::steady_clock;

    struct Line {
        std::string text;
        std::size_t number = 0;  // 1-based line of the script's input
    };

    // What an event means for the line in flight.
    struct Answer {
        enum class Kind {
            none,       // not its answer (someone else's message, a join, ...)
            delivered,  // its echo, or the reply to its command
            refused,    // an error that is not rate limiting: the line is done, and failed
            slowDown,   // rate limited: the line is queued again, to go after a longer pause
        } kind = Kind::none;
        Line line;  // the line answered, when delivered or refused
    };

    explicit ScriptQueue(std::chrono::seconds replyTimeout = std::chrono::seconds(5))
        : replyTimeout_(replyTimeout) {}

    // How long a line's answer may take; then the next line goes anyway.
    std::chrono::seconds replyTimeout() const { return replyTimeout_; }

    void push(Line line) { queued_.push_back(std::move(line)); }
    bool hasQueued() const { return !queued_.empty(); }
    std::size_t size() const { return queued_.size(); }
    // Nothing queued and nothing in flight.
    bool idle() const { return queued_.empty() && !inFlight_; }
    const std::optional<Line>& inFlight() const { return inFlight_; }

    // Whether a line may be sent at now: none in flight and the pause since the last answer over.
    bool mayGo(Clock::time_point now) const;
    // The next queued line (hasQueued() must hold).
    Line pop();
    // The line was sent; its answer is awaited from now.
    void sent(Line line, Clock::time_point now);

    // Sorts an event the server sent while a line is in flight. Call it before acting on the
    // event: nick is our nick as the server last told it (the answer to /nick comes from it).
    Answer answer(const ChatEvent& event, std::string_view nick, Clock::time_point now);
    // The line in flight when its answer is overdue at now (it is then no longer in flight).
    std::optional<Line> overdue(Clock::time_point now);
    // The connection is gone: the line in flight goes back to the front (its answer may have
    // been lost with the connection: it may arrive twice, but it is never lost), and the pace
    // starts afresh (a new connection has a new rate allowance).
    void connectionLost();

    // The next moment after now at which mayGo() or overdue() may change, if any.
    std::optional<Clock::time_point> wakeAt(Clock::time_point now) const;

  private:
    // What the server answers a line with when it works (an error can answer any line).
    enum class Reply { message, action, privateMessage, nick, join, who, rooms, notice, error };
    static Reply expectedReply(std::string_view line);
    static bool answers(Reply expected, const ChatEvent& event, std::string_view nick);

    std::chrono::seconds replyTimeout_;
    std::deque<Line> queued_;
    std::optional<Line> inFlight_;
    Reply expected_ = Reply::error;
    Clock::time_point replyDeadline_{};
    std::chrono::milliseconds pause_{0};  // between an answer and the next line
    std::optional<Clock::time_point> notBefore_;
};

}  // namespace sockctl
