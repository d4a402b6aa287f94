#pragma once
// Renderer: chat events as lines for people, e.g. "[12:01] <alice> hi". Every line has its time,
// notices, errors and sockctl's own status lines too, and a "Day changed" line comes first when
// the local date moved on since the line before (DayMarker). With colour, every nick gets its own
// colour (a stable hash, so alice is the same colour in every session), join/leave/nick notices
// are dimmed, errors are red and mentions of our own nick in others' text stand out in reverse
// video; without colour the text is the same, escape-free, which is also what pipe mode prints.
// With the bell on (a person at a terminal), a mention or a private message from someone else
// ends in BEL, which the terminal turns into its alert.
#include <ctime>
#include <string>
#include <string_view>

#include "chat_event.h"
#include "day_marker.h"

namespace sockctl {

class Renderer {
  public:
    explicit Renderer(bool colour, bool bell = false) : colour_(colour), bell_(bell) {}

    // One or more '\n'-separated lines, no trailing newline. Empty: nothing to show (welcome,
    // which only carries state). self is our own nick, to word private messages both ways and
    // to find mentions.
    std::string render(const ChatEvent& event, std::string_view self);
    // A plain-text server line (what the server sends before it has seen "/mode json"); an
    // error line ("! server full: ...") is red like an error event.
    std::string renderText(std::string_view line);
    // sockctl's own notice ("connection lost ..."), at the time it happens.
    std::string renderStatus(std::string_view text);
    // A line typed while offline, waiting to be sent: "(pending) text", dimmed.
    std::string renderPending(std::string_view text);

    // The colour escape for a nick ("\x1b[36m"); the same nick always gets the same colour.
    static std::string nickColour(std::string_view nick);

    // In more than one room, messages and actions carry their room ("#dev <alice> hi"): one
    // window for all rooms, as irssi users know it from its merged view.
    void setSeveralRooms(bool several) { severalRooms_ = several; }

  private:
    std::string nick(std::string_view name) const;
    std::string dim(std::string_view text) const;
    std::string style(const char* sgr, std::string_view text) const;
    // The text of someone else's message with our nick highlighted; *mentioned says whether
    // it was there.
    std::string body(std::string_view text, std::string_view self, bool* mentioned) const;
    // "[HH:MM] " for t, and the day marker line before line when t starts a new day.
    std::string stamp(std::time_t t) const;
    std::string dated(std::time_t t, std::string line);
    std::string eventLine(const ChatEvent& e, std::string_view self, const std::string& time,
                          bool* ring) const;

    bool colour_;
    bool bell_;
    bool severalRooms_ = false;
    DayMarker days_;
};

// The local time_t of an RFC 3339 timestamp; now if ts is empty or not RFC 3339.
std::time_t eventTime(std::string_view ts);

// Local wall-clock "HH:MM" of an RFC 3339 timestamp ("2024-05-01T12:01:02.345Z"); the current
// time if ts is empty or not RFC 3339.
std::string clockTime(std::string_view ts);

// Text with control characters and escape sequences removed. The server already sanitises;
// this is the client's own guard against a server (or a proxy) that does not.
std::string printable(std::string_view text);

}  // namespace sockctl
