#pragma once
// ChatFrontend: the user's side of a chat session. The session (connection, protocol, reconnect)
// is the same for a person at a terminal and for a script feeding a pipe; only input and output
// differ, and that difference lives behind this interface.
#include <poll.h>

#include <string>
#include <string_view>
#include <vector>

#include "chat_event.h"

namespace sockctl {

class ChatFrontend {
  public:
    struct Input {
        enum class Kind { line, endOfInput } kind = Kind::line;
        std::string text;
    };

    virtual ~ChatFrontend() = default;

    // A person at a terminal (line editing, redraws) rather than a script.
    virtual bool interactive() const = 0;
    // Appends the fds the session should poll for this frontend; the input fd only when
    // acceptInput (a script's next line waits while sockctl reconnects).
    virtual void addPollFds(std::vector<pollfd>& fds, bool acceptInput) = 0;
    // Handles the fds addPollFds added (same order, poll's revents filled in).
    virtual std::vector<Input> handle(const pollfd* fds, std::size_t count) = 0;

    // Chat output: one or more '\n'-separated lines.
    virtual void show(std::string_view lines) = 0;
    // sockctl's own notices (connection lost, reconnecting, back).
    virtual void status(std::string_view text) = 0;
    // Who and where we are, for the prompt.
    virtual void setState(std::string_view nick, std::string_view room, bool connected) = 0;
    // Every event from the server, before it is shown (nicks for completion, say).
    virtual void observe(const ChatEvent& /*event*/) {}
};

}  // namespace sockctl
