#pragma once
// Mentions of a nick in chat text, as irssi highlights them: the nick as a whole word, ignoring
// (ASCII) case, so "Alice: hi", "hi alice!" and "@ALICE" mention alice but "malice" and
// "alice_bot" do not.
#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

namespace sockctl {

// [begin, end) byte ranges of every mention of nick in text; none for an empty nick.
std::vector<std::pair<std::size_t, std::size_t>> findMentions(std::string_view text,
                                                              std::string_view nick);

inline bool mentions(std::string_view text, std::string_view nick) {
    return !findMentions(text, nick).empty();
}

}  // namespace sockctl
