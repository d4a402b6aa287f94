#include "sockchat/chat/command.h"

#include "sockchat/chat/names.h"

namespace sockchat::chat {

std::string_view trimSpaces(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
}

std::pair<std::string_view, std::string_view> splitWord(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    std::size_t sp = s.find(' ');
    if (sp == std::string_view::npos) return {s, {}};
    std::string_view rest = s.substr(sp + 1);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    return {s.substr(0, sp), rest};
}

std::string_view roomArgument(std::string_view s) {
    s = trimSpaces(s);
    if (!s.empty() && s.front() == '#') s.remove_prefix(1);
    return s;
}

ParsedLine parseLine(std::string_view line) {
    ParsedLine parsed;
    if (trimSpaces(line).empty()) return parsed;  // nothing to say: not even a rate-limit token
    if (line.starts_with("//")) {
        parsed.kind = ParsedLine::Kind::say;
        parsed.text = std::string(line.substr(1));
    } else if (line.front() == '/') {
        auto [name, args] = splitWord(line.substr(1));
        parsed.kind = ParsedLine::Kind::command;
        parsed.name = foldCase(name);
        // Message text keeps its inner and trailing spaces; only the separator goes.
        parsed.text = std::string(args);
    } else {
        parsed.kind = ParsedLine::Kind::say;
        parsed.text = std::string(line);
    }
    return parsed;
}

}  // namespace sockchat::chat
