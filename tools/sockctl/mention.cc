#include "mention.h"

namespace sockctl {
namespace {

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Characters that continue a word around a nick. '.' is in the nick charset but ends a sentence
// far more often than it continues a name ("thanks alice."), so it is a boundary.
bool wordChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

bool matchesAt(std::string_view text, std::size_t pos, std::string_view nick) {
    for (std::size_t i = 0; i < nick.size(); ++i)
        if (lower(text[pos + i]) != lower(nick[i])) return false;
    return true;
}

}  // namespace

std::vector<std::pair<std::size_t, std::size_t>> findMentions(std::string_view text,
                                                              std::string_view nick) {
    std::vector<std::pair<std::size_t, std::size_t>> found;
    if (nick.empty()) return found;
    for (std::size_t pos = 0; pos + nick.size() <= text.size();) {
        std::size_t end = pos + nick.size();
        if (matchesAt(text, pos, nick) && (pos == 0 || !wordChar(text[pos - 1])) &&
            (end == text.size() || !wordChar(text[end]))) {
            found.emplace_back(pos, end);
            pos = end;
        } else {
            ++pos;
        }
    }
    return found;
}

}  // namespace sockctl
