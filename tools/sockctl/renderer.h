#pragma once
// Renderer: chat events as lines for people, e.g. "[12:01] <alice> hi". With colour, every nick
// gets its own colour (a stable hash, so alice is the same colour in every session), join/leave/
// nick notices are dimmed and errors are red; without colour the text is the same, escape-free,
// which is also what pipe mode prints.
#include <string>
#include <string_view>

#include "chat_event.h"

namespace sockctl {

class Renderer {
  public:
    explicit Renderer(bool colour) : colour_(colour) {}

    // One or more '\n'-separated lines, no trailing newline. Empty: nothing to show (welcome,
    // which only carries state). self is our own nick, to word private messages both ways.
    std::string render(const ChatEvent& event, std::string_view self) const;
    // A plain-text server line (what the server sends before it has seen "/mode json"); an
    // error line ("! server full: ...") is red like an error event.
    std::string renderText(std::string_view line) const;

    // The colour escape for a nick ("\x1b[36m"); the same nick always gets the same colour.
    static std::string nickColour(std::string_view nick);

  private:
    std::string nick(std::string_view name) const;
    std::string dim(std::string_view text) const;
    std::string style(const char* sgr, std::string_view text) const;
    std::string time(const ChatEvent& event) const;

    bool colour_;
};

// Local wall-clock "HH:MM" of an RFC 3339 timestamp ("2024-05-01T12:01:02.345Z"); the current
// time if ts is empty or not RFC 3339.
std::string clockTime(std::string_view ts);

// Text with control characters and escape sequences removed. The server already sanitises;
// this is the client's own guard against a server (or a proxy) that does not.
std::string printable(std::string_view text);

}  // namespace sockctl
