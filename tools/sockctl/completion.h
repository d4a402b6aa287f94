#pragma once
// Tab completion as in irssi: a word starting with '/' at the start of the line completes to a
// command, any other word to a nick; Tab again cycles through the other candidates. A nick
// completed at the start of the line is addressed ("alice: "), elsewhere followed by a space.
//
// Nicks are learned from what the server says (who lists, joins, renames, messages) and offered
// most recently active first, as irssi does: the person who just spoke is one Tab away.
// Pure string work; LineEditor binds it to the Tab key.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chat_event.h"

namespace sockctl {

// The commands Tab completes, the server's and the common IRC ones.
const std::vector<std::string>& completableCommands();

class Completer {
  public:
    // Learns nicks from a server event (who, join, leave, nick, messages); welcome and nick
    // events for ourselves set our own nick, which is never offered.
    void learn(const ChatEvent& event);
    void setSelf(std::string_view nick) { self_ = nick; }

    // Known nicks starting with prefix (ignoring case), most recently active first.
    std::vector<std::string> nickCandidates(std::string_view prefix) const;
    // Commands starting with prefix ("/j" -> "/join"), in completableCommands() order.
    static std::vector<std::string> commandCandidates(std::string_view prefix);

    // The line after Tab with the cursor at its end: the last word completed, or, when line is
    // what the previous Tab made of it, the next candidate in place of that one. nullopt when
    // nothing matches.
    std::optional<std::string> complete(std::string_view line);

  private:
    void saw(std::string_view nick);  // nick is active now: first in line
    void forget(std::string_view nick);
    std::vector<std::string>::iterator find(std::string_view nick);

    std::string self_;
    std::vector<std::string> nicks_;  // most recently active first

    // The cycle of the last Tab: the line before the word, its candidates, which one is shown,
    // and the line as that Tab left it.
    struct Cycle {
        std::string base;
        std::vector<std::string> candidates;
        std::size_t index = 0;
        std::string result;
    };
    std::optional<Cycle> cycle_;
};

}  // namespace sockctl
