#include "script_queue.h"

#include <algorithm>

#include "sockchat/chat/command.h"
#include "sockchat/chat/names.h"
#include "sockchat/chat/sanitize.h"

namespace sockctl {
namespace {

using namespace std::chrono_literals;

// The pause after "slow down" starts here and doubles up to the maximum; every line that gets
// through takes an eighth off it. This stays within a few per cent of the server's rate.
constexpr std::chrono::milliseconds kMinPause = 20ms;
constexpr std::chrono::milliseconds kMaxPause = 10s;

// The daemon's own words for its rate limit (daemon/chat: "! slow down").
constexpr std::string_view kSlowDown = "slow down";

bool sameName(std::string_view a, std::string_view b) {
    return sockchat::chat::foldCase(a) == sockchat::chat::foldCase(b);
}

}  // namespace

bool ScriptQueue::mayGo(Clock::time_point now) const {
    return !inFlight_ && (!notBefore_ || now >= *notBefore_);
}

ScriptQueue::Line ScriptQueue::pop() {
    Line line = std::move(queued_.front());
    queued_.pop_front();
    return line;
}

void ScriptQueue::sent(Line line, Clock::time_point now) {
    expected_ = expectedReply(line.text);
    inFlight_ = std::move(line);
    replyDeadline_ = now + replyTimeout_;
    notBefore_.reset();
}

ScriptQueue::Reply ScriptQueue::expectedReply(std::string_view line) {
    // The server's own parsing, so that "/ME", "//text" and the like are read as it reads them.
    auto parsed = sockchat::chat::parseLine(sockchat::chat::sanitizeText(line));
    using Kind = sockchat::chat::ParsedLine::Kind;
    if (parsed.kind != Kind::command) return Reply::message;
    const std::string& name = parsed.name;
    if (name == "me") return Reply::action;
    if (name == "msg") return Reply::privateMessage;
    if (name == "nick") return Reply::nick;
    if (name == "join") return Reply::join;
    if (name == "who") return Reply::who;
    if (name == "rooms") return Reply::rooms;
    if (name == "help" || name == "quit") return Reply::notice;  // "bye" for /quit
    return Reply::error;                                         // an unknown command
}

bool ScriptQueue::answers(Reply expected, const ChatEvent& e, std::string_view nick) {
    // One line in flight and the server answering lines in order: our own message (or nick
    // change, join) that comes back now is the echo of this line, whatever the server's
    // sanitising made of its text.
    switch (expected) {
        case Reply::message:
            return e.type == "message" && sameName(e.from, nick);
        case Reply::action:
            return e.type == "action" && sameName(e.from, nick);
        case Reply::privateMessage:
            return e.type == "private" && sameName(e.from, nick);
        case Reply::nick:
            return e.type == "nick" && sameName(e.from, nick);
        case Reply::join:
            return e.type == "join" && sameName(e.field("nick"), nick);
        case Reply::who:
            return e.type == "who";
        case Reply::rooms:
            return e.type == "rooms";
        case Reply::notice:
            return e.type == "notice";
        case Reply::error:
            return false;
    }
    return false;
}

ScriptQueue::Answer ScriptQueue::answer(const ChatEvent& e, std::string_view nick,
                                        Clock::time_point now) {
    using Kind = Answer::Kind;
    if (!inFlight_) return {};
    Answer result;
    if (e.type == "error" && e.text == kSlowDown) {
        // Not delivered: again, after a longer pause.
        queued_.push_front(std::move(*inFlight_));
        pause_ = std::clamp(pause_ * 2, kMinPause, kMaxPause);
        result.kind = Kind::slowDown;
    } else if (e.type == "error") {
        result = {Kind::refused, std::move(*inFlight_)};
    } else if (answers(expected_, e, nick)) {
        pause_ -= pause_ / 8;
        if (pause_ < kMinPause) pause_ = 0ms;
        result = {Kind::delivered, std::move(*inFlight_)};
    } else {
        return {};
    }
    inFlight_.reset();
    if (pause_ > 0ms) notBefore_ = now + pause_;
    return result;
}

std::optional<ScriptQueue::Line> ScriptQueue::overdue(Clock::time_point now) {
    if (!inFlight_ || now < replyDeadline_) return std::nullopt;
    std::optional<Line> late = std::move(inFlight_);
    inFlight_.reset();
    return late;
}

void ScriptQueue::connectionLost() {
    if (inFlight_) queued_.push_front(std::move(*inFlight_));
    inFlight_.reset();
    pause_ = 0ms;
    notBefore_.reset();
}

std::optional<ScriptQueue::Clock::time_point> ScriptQueue::wakeAt(Clock::time_point now) const {
    if (inFlight_) return replyDeadline_;
    if (notBefore_ && *notBefore_ > now) return notBefore_;
    return std::nullopt;
}

}  // namespace sockctl
