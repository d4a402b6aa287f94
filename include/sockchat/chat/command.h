#pragma once
// Parsing of one chat input line (already sanitised) into "say this" or "run this command".
// Pure string work, so the rules (`//text`, case-insensitive names, blank lines) are unit-tested
// apart from the daemon.
#include <string>
#include <string_view>
#include <utility>

namespace sockchat::chat {

struct ParsedLine {
    enum class Kind { blank, say, command };
    Kind kind = Kind::blank;
    std::string name;  // command: lower-case name without the "/" ("nick")
    std::string text;  // say: the text (a leading "//" becomes "/"); command: the arguments
};

ParsedLine parseLine(std::string_view line);

// "alice some text" -> {"alice", "some text"}; leading spaces are skipped on both parts.
std::pair<std::string_view, std::string_view> splitWord(std::string_view s);
// Without leading and trailing spaces.
std::string_view trimSpaces(std::string_view s);
// A room argument as typed: "#dev" and "dev" both name room "dev".
std::string_view roomArgument(std::string_view s);

}  // namespace sockchat::chat
