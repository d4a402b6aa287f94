#include "chat_session.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "exit_codes.h"
#include "service_check.h"
#include "sockchat/chat/command.h"
#include "sockchat/chat/sanitize.h"
#include "tls_handshake.h"

namespace sockctl {
namespace {

using namespace std::chrono_literals;

constexpr auto kMaxBackoff = 30s;
// A server that does not answer "/mode json" with a welcome this soon is not a chat service.
// Only the welcome is waited for this long; the answers to /nick and /join that follow it are
// waited for without a limit (the server answers every line, or the connection drops).
constexpr auto kWelcomeTimeout = 5s;
// Lines typed while offline wait for the reconnect, up to this many.
constexpr std::size_t kMaxPendingLines = 100;
// How long leaving may take: "/quit" sent, the server's last lines read, its close seen.
constexpr auto kGoodbyeTimeout = 2s;
// The token of the pings that keep an idle session from meeting the server's idle_timeout.
constexpr const char* kKeepaliveToken = "sockctl-keepalive";

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Nicks and room names are unique ignoring (ASCII) case on the server.
bool sameName(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

bool startsWithWord(std::string_view line, std::string_view word) {
    if (line.size() < word.size() || !sameName(line.substr(0, word.size()), word)) return false;
    return line.size() == word.size() || line[word.size()] == ' ';
}

// Guest nicks are handed out by the server and reserved: never ask for one back.
bool isGuest(std::string_view nick) {
    return nick.size() >= 6 && sameName(nick.substr(0, 6), "guest-");
}

bool isQuit(std::string_view line) {
    return startsWithWord(line, "/quit");
}

// A line the server ignores (only spaces once sanitised): nothing to send, nothing to wait for.
bool blankToServer(std::string_view line) {
    return sockchat::chat::parseLine(sockchat::chat::sanitizeText(line)).kind ==
           sockchat::chat::ParsedLine::Kind::blank;
}

// A script's line as quoted in a message: printable and not too long.
std::string quoted(const ScriptQueue::Line& line) {
    std::string text = printable(line.text);
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    return "line " + std::to_string(line.number) + " (" + text + ")";
}

int msUntil(ChatSession::Clock::time_point t) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(t - ChatSession::Clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) + 1 : 0;
}

}  // namespace

ChatSession::ChatSession(Endpoint endpoint, std::shared_ptr<const sockchat::tls::ClientContext> tls,
                         ChatOptions options, ChatFrontend& frontend, Renderer& renderer)
    : endpoint_(std::move(endpoint)),
      tls_(std::move(tls)),
      options_(std::move(options)),
      frontend_(frontend),
      renderer_(renderer),
      connector_(endpoint_),
      wantNick_(options_.nick),
      wantRooms_(options_.rooms) {}

int ChatSession::run(SocketStream stream) {
    connected(std::move(stream));
    std::vector<pollfd> fds;
    while (!finished_) {
        fds.clear();
        int socketIndex = -1, connectIndex = -1;
        if (channel_) {
            socketIndex = static_cast<int>(fds.size());
            fds.push_back({channel_->fd(), channel_->pollEvents(), 0});
        } else if (connector_.status() == Connector::Status::inProgress) {
            connectIndex = static_cast<int>(fds.size());
            fds.push_back({connector_.fd(), POLLOUT, 0});
        }
        std::size_t frontFirst = fds.size();
        frontend_.addPollFds(fds, acceptInput());

        int n = ::poll(fds.data(), fds.size(), pollTimeoutMs());
        if (n < 0 && errno != EINTR)
            throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
        if (n > 0) {
            // The terminal first: a resize that came in the same wake-up as server lines must
            // apply to them (they are wrapped when shown). A line typed may end or replace the
            // connection: the socket's readiness then belongs to one that is gone.
            const LineChannel* polledChannel = channel_.get();
            int polledConnectFd = connectIndex >= 0 ? connector_.fd() : -1;
            for (const auto& input :
                 frontend_.handle(fds.data() + frontFirst, fds.size() - frontFirst)) {
                handleInput(input);
                if (finished_) break;
            }
            if (!finished_ && socketIndex >= 0 && channel_ && channel_.get() == polledChannel) {
                short revents = fds[static_cast<std::size_t>(socketIndex)].revents;
                std::string why;
                if ((revents & POLLOUT) && !channel_->flush(&why)) disconnected(why);
                // Any readiness: TLS may read only once the socket is writable (pollEvents).
                if (channel_ && revents) readServer();
            }
            if (!finished_ && connectIndex >= 0 && connector_.fd() == polledConnectFd &&
                connector_.status() == Connector::Status::inProgress &&
                fds[static_cast<std::size_t>(connectIndex)].revents)
                connectStep();
        }
        if (!finished_) checkTimers();
    }
    return exitCode_;
}

// --- connection ---------------------------------------------------------------------------

void ChatSession::connected(SocketStream stream) {
    reconnected_ = everConnected_;
    everConnected_ = true;
    channel_ = std::make_unique<LineChannel>(std::move(stream));
    // Once, where the connection is announced: what protects it. A script's --quiet wants
    // nothing but the events.
    if (!reconnected_ && channel_->tls() && !options_.quiet)
        frontend_.status("connected to " + endpoint_.toString() + " " +
                         describeTls(*channel_->tls()));
    answered_ = welcomeSeen_ = ready_ = false;
    helloRefusals_ = 0;
    joinsPending_ = 0;
    rooms_.clear();
    welcomeDeadline_ = Clock::now() + kWelcomeTimeout;
    // The backoff stays as it is until the session is ready: a server that accepts and closes
    // at once ("! server full", a restart in progress) is retried ever more gently.
    reconnectAt_.reset();
    // Mode, nick and rooms stated up front: one welcome for all of it, and nobody else sees a
    // guest join and change its nick.
    sendHello();
    updateFrontend();
}

void ChatSession::disconnected(const std::string& why) {
    channel_.reset();
    welcomeSeen_ = ready_ = false;
    if (finished_) return;
    std::string lost = "connection to " + endpoint_.toString() + " lost (" + why + ")";
    // A line whose answer did not come goes again after reconnecting.
    script_.connectionLost();
    if (quitting_) {
        // Closed before (or instead of) "bye": gone either way.
        finish(scriptExitCode());
        return;
    }
    if (!frontend_.interactive() && inputDone_ && script_.idle()) {
        // A script that has sent everything: nothing to reconnect for.
        frontend_.status(lost);
        finish(scriptExitCode());
        return;
    }
    if (options_.noReconnect) {
        frontend_.status(lost);
        finish(kExitFailure);
        return;
    }
    frontend_.status(lost + "; reconnecting in " + std::to_string(scheduleReconnect().count()) +
                     " s");
    updateFrontend();
}

std::chrono::seconds ChatSession::scheduleReconnect() {
    // 1 s, 2 s, 4 s, ... 30 s: quick when the daemon is merely restarting, gentle when it is
    // down (or refusing us) for longer. Back to 1 s once a session is ready again.
    auto wait = backoff_;
    backoff_ = std::min(backoff_ * 2, std::chrono::seconds(kMaxBackoff));
    reconnectAt_ = Clock::now() + wait;
    return wait;
}

void ChatSession::startReconnect() {
    reconnectAt_.reset();
    connector_.start();
    connectStep();
}

void ChatSession::connectStep() {
    connector_.step();
    switch (connector_.status()) {
        case Connector::Status::connected:
            reconnected(connector_.take());
            break;
        case Connector::Status::failed: {
            auto wait = scheduleReconnect();
            frontend_.status("cannot reconnect to " + endpoint_.toString() + ": " +
                             connector_.error() + "; next try in " + std::to_string(wait.count()) +
                             " s");
            break;
        }
        default:
            break;
    }
}

void ChatSession::reconnected(sockchat::net::Fd fd) {
    if (!tls_) {
        connected(SocketStream(std::move(fd)));
        return;
    }
    TlsFailure failure;
    auto stream = handshakeTls(*tls_, std::move(fd), endpoint_, &failure);
    if (stream) {
        connected(std::move(*stream));
        return;
    }
    if (failure.certificate()) {
        // The certificate will not verify on the next try either: stop rather than loop.
        frontend_.status(failure.message);
        finish(failure.exitCode);
        return;
    }
    auto wait = scheduleReconnect();
    frontend_.status("cannot reconnect to " + failure.message + "; next try in " +
                     std::to_string(wait.count()) + " s");
}

// --- from the server ----------------------------------------------------------------------

void ChatSession::readServer() {
    std::string why;
    bool open = channel_->readAvailable(&why);
    while (channel_ && !finished_) {
        auto line = channel_->nextLine();
        if (!line) break;
        handleServerLine(*line);
    }
    if (!open && channel_ && !finished_) disconnected(why);
}

void ChatSession::handleServerLine(const std::string& line) {
    if (!answered_ && isTlsPortAnswer(line)) throw TlsPortWithoutTls(endpoint_.toString());
    if (!answered_ && !looksLikeChatService(line))
        throw NotAChatService::answered(endpoint_.toString(), line);
    answered_ = true;
    auto event = parseChatEvent(line);
    if (!event) {
        // Plain text: the greeting, MOTD and room history the server sends on connect, before
        // it has read our "/mode json". Worth showing once; after a reconnect it would only
        // repeat itself. Errors ("! server full: ...", sent instead of a greeting) are news on
        // every connection; with --json, which promises JSON lines only, they go with sockctl's
        // own notices.
        bool error = line.starts_with('!');
        if (line.empty() || (!error && (reconnected_ || options_.json))) return;
        if (options_.json)
            frontend_.status("server said: " + printable(line));
        else if (std::string text = renderer_.renderText(line); !text.empty())
            frontend_.show(text);
        return;
    }
    handleEvent(*event, line);
}

void ChatSession::handleEvent(const ChatEvent& e, const std::string& raw) {
    if (!welcomeSeen_ && e.type == "error") {
        helloRefused(e);
        return;
    }
    if (isKeepalivePong(e)) return;
    // Before the event changes our nick: the answer to "/nick" comes from the old one.
    using Answered = ScriptQueue::Answer::Kind;
    auto answer = script_.answer(e, nick_, Clock::now());
    if (answer.kind == Answered::slowDown) {
        // Handled: the line goes again after a pause. Nothing was lost; nothing to show.
        sendScript();
        return;
    }
    if (answer.kind == Answered::refused) {
        // At a terminal the error line itself says it.
        if (!frontend_.interactive())
            frontend_.status(quoted(answer.line) + " failed: " + printable(e.text));
        scriptFailed_ = true;
    }
    bool handshake = !ready_;
    trackOwnState(e);

    frontend_.observe(e);
    // --quiet: a script that wants only what happens after it arrived.
    bool shown = !(options_.quiet && handshake);
    if (shown && e.type == "closing") {
        frontend_.status("the server closes the connection: " + printable(e.field("reason")));
    } else if (shown && options_.json) {
        frontend_.show(raw);
    } else if (shown) {
        std::string text = renderer_.render(e, nick_);
        if (!text.empty()) frontend_.show(text);
    }
    updateFrontend();

    if (welcomeSeen_ && joinsPending_ == 0 && !ready_) {
        becomeReady();
    } else if (answer.kind != Answered::none && quitting_) {
        finish(scriptExitCode());  // "bye": the server closes now
        hangUp();
    } else if (answer.kind != Answered::none) {
        sendScript();
    }
}

void ChatSession::trackOwnState(const ChatEvent& e) {
    auto inRooms = [this](const std::string& room) {
        return std::find_if(rooms_.begin(), rooms_.end(),
                            [&](const std::string& r) { return sameName(r, room); });
    };
    if (e.type == "welcome") {
        // The answer to our /hello: who and where the server says we are.
        welcomeSeen_ = true;
        nick_ = e.field("nick");
        room_ = e.room;
        if (auto it = e.raw.find("rooms"); it != e.raw.end() && it->is_array())
            joinsPending_ = it->size();
        if (auto it = e.raw.find("idle_timeout_ms"); it != e.raw.end() && it->is_number())
            idleTimeout_ = std::chrono::milliseconds(it->get<long long>());
    } else if (e.type == "nick" && sameName(e.from, nick_)) {
        nick_ = e.field("nick");
        if (!isGuest(nick_)) wantNick_ = nick_;
    } else if (e.type == "join" && sameName(e.field("nick"), nick_)) {
        if (inRooms(e.room) == rooms_.end()) rooms_.push_back(e.room);
        if (joinsPending_ > 0)
            --joinsPending_;  // the handshake's: the current room is the welcome's
        else
            room_ = e.room;
    } else if (e.type == "leave" && sameName(e.field("nick"), nick_)) {
        if (auto it = inRooms(e.room); it != rooms_.end()) rooms_.erase(it);
        if (sameName(room_, e.room)) room_ = rooms_.empty() ? std::string() : rooms_.back();
    } else if (e.type == "current") {
        room_ = e.room;
    } else {
        return;
    }
    // What a reconnect asks for: the current room first, then the others.
    wantRooms_.clear();
    if (!room_.empty()) wantRooms_.push_back(room_);
    for (const auto& r : rooms_)
        if (!sameName(r, room_)) wantRooms_.push_back(r);
    renderer_.setSeveralRooms(rooms_.size() > 1);
}

void ChatSession::sendHello() {
    std::string hello = "/hello json";
    if (helloRefusals_ < 1 && !wantNick_.empty() && !isGuest(wantNick_))
        hello += " nick=" + wantNick_;
    if (helloRefusals_ < 2 && !wantRooms_.empty()) {
        hello += " room=";
        for (std::size_t i = 0; i < wantRooms_.size(); ++i) hello += (i ? "," : "") + wantRooms_[i];
    }
    sendLine(hello);
}

void ChatSession::helloRefused(const ChatEvent& error) {
    ++helloRefusals_;
    std::string why = printable(error.text);
    if (why.starts_with("hello: ")) why = why.substr(7);
    if (!frontend_.interactive() && !everReady_) {
        // A script must not post as someone else or somewhere else: nothing was sent.
        frontend_.status("refused by the server: " + why);
        finish(kExitFailure);
        hangUp();
        return;
    }
    if (helloRefusals_ >= 3) {
        frontend_.status("refused by the server: " + why);
        finish(kExitFailure);
        hangUp();
        return;
    }
    frontend_.status(
        why + (helloRefusals_ == 1 ? "; trying without the nick" : "; trying without the rooms"));
    sendHello();
}

bool ChatSession::isKeepalivePong(const ChatEvent& e) const {
    return e.type == "pong" && e.text == kKeepaliveToken;
}

void ChatSession::sendLine(const std::string& line) {
    channel_->sendLine(line);
    lastSent_ = Clock::now();
}

void ChatSession::becomeReady() {
    ready_ = true;
    everReady_ = true;
    backoff_ = std::chrono::seconds(1);
    if (reconnected_) {
        std::string where = nick_.empty() ? std::string() : " as " + nick_;
        if (!room_.empty()) where += " in #" + room_;
        frontend_.status("back: connected to " + endpoint_.toString() + where);
    }
    sendScript();
}

// --- from the user ------------------------------------------------------------------------

void ChatSession::handleInput(const ChatFrontend::Input& input) {
    if (input.kind == ChatFrontend::Input::Kind::endOfInput) {
        if (frontend_.interactive()) {
            leave(kExitOk, "/quit");
            return;
        }
        inputDone_ = true;
        sendScript();
        return;
    }
    const std::string& line = input.text;
    ++inputLines_;
    if (blankToServer(line)) return;  // the server ignores them
    if (startsWithWord(line, "/mode")) {
        // sockctl reads the server's JSON mode; switching it to text would leave sockctl blind.
        frontend_.status("/mode not sent: sockctl keeps the server in JSON mode (--json shows it)");
        return;
    }
    if (!frontend_.interactive()) {
        script_.push({line, inputLines_});
        sendScript();
        return;
    }
    if (isQuit(line)) {
        leave(kExitOk, line);
        return;
    }
    if (!ready_ || !script_.idle()) {
        queueTyped(line);
        return;
    }
    sendLine(line);
}

void ChatSession::queueTyped(const std::string& line) {
    // Through the script queue: after the reconnect the lines go in order, one at a time, each
    // once the server answered the one before, so a burst of them does not meet the rate limit.
    if (script_.size() >= kMaxPendingLines) {
        frontend_.status("offline: " + std::to_string(kMaxPendingLines) +
                         " lines are already waiting; this one was not queued");
        return;
    }
    script_.push({line, inputLines_});
    if (!ready_) frontend_.show(renderer_.renderPending(line));
    sendScript();
}

void ChatSession::sendScript() {
    while (channel_ && ready_ && !finished_) {
        auto now = Clock::now();
        // One line at a time, each after the server answered the one before (and after the
        // pause a "slow down" asked for): see ScriptQueue.
        if (!script_.mayGo(now)) return;
        if (!script_.hasQueued() && !inputDone_) return;
        // At the end of input, a "/quit" of our own.
        ScriptQueue::Line line = script_.hasQueued() ? script_.pop() : ScriptQueue::Line{"/quit"};
        // "/quit" waits for its "bye" like any line for its answer: it may meet the rate limit
        // too, and then goes again.
        quitting_ = isQuit(line.text);
        sendLine(line.text);
        script_.sent(std::move(line), now);
    }
}

int ChatSession::scriptExitCode() const {
    return scriptFailed_ ? kExitFailure : kExitOk;
}

void ChatSession::leave(int exitCode, const std::string& quitLine) {
    finish(exitCode);
    if (!channel_) return;
    sendLine(quitLine);
    hangUp();
}

void ChatSession::hangUp() {
    channel_->closeGracefully(kGoodbyeTimeout);
    // The server's last words ("-!- bye"), read while closing.
    while (auto line = channel_->nextLine()) handleServerLine(*line);
    channel_.reset();
}

void ChatSession::finish(int exitCode) {
    finished_ = true;
    exitCode_ = exitCode;
}

void ChatSession::updateFrontend() {
    frontend_.setState(nick_, room_, channel_ != nullptr);
}

// --- timers -------------------------------------------------------------------------------

bool ChatSession::acceptInput() const {
    // A script's input waits in its pipe while sockctl is not ready to send it, or has lines
    // still to send: nothing is read that could be lost, and the kernel applies back-pressure
    // to the writer.
    return frontend_.interactive() ||
           (channel_ && ready_ && !inputDone_ && !quitting_ && !script_.hasQueued());
}

int ChatSession::pollTimeoutMs() const {
    int timeout = -1;
    auto consider = [&](Clock::time_point t) {
        int ms = msUntil(t);
        timeout = timeout < 0 ? ms : std::min(timeout, ms);
    };
    if (reconnectAt_) consider(*reconnectAt_);
    if (connector_.status() == Connector::Status::inProgress) consider(connector_.deadline());
    if (channel_ && !welcomeSeen_ && !ready_) consider(welcomeDeadline_);
    if (channel_ && ready_ && idleTimeout_.count() > 0) consider(lastSent_ + idleTimeout_ / 2);
    if (auto t = script_.wakeAt(Clock::now())) consider(*t);
    return timeout;
}

void ChatSession::checkTimers() {
    auto now = Clock::now();
    if (!channel_ && reconnectAt_ && now >= *reconnectAt_) startReconnect();
    if (connector_.status() == Connector::Status::inProgress && now >= connector_.deadline())
        connectStep();
    if (channel_ && !welcomeSeen_ && !ready_ && now >= welcomeDeadline_)
        throw NotAChatService(
            endpoint_.toString(),
            "no welcome within " + std::to_string(kWelcomeTimeout.count()) + " s");
    if (finished_) return;
    // Half the server's idle timeout without a line from us: a ping, so that a person reading
    // along (or a script waiting for input) is not closed as idle.
    if (channel_ && ready_ && idleTimeout_.count() > 0 && now >= lastSent_ + idleTimeout_ / 2)
        sendLine(std::string("/ping ") + kKeepaliveToken);
    if (auto late = script_.overdue(now)) {
        if (quitting_) {
            finish(scriptExitCode());
            hangUp();
            return;
        }
        frontend_.status("no answer from the server to " + quoted(*late) + " within " +
                         std::to_string(script_.replyTimeout().count()) + " s; going on");
    }
    sendScript();  // the pause after "slow down" may be over
}

}  // namespace sockctl
