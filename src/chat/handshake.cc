#include "sockchat/chat/handshake.h"

#include <algorithm>

#include "sockchat/chat/command.h"
#include "sockchat/chat/names.h"

namespace sockchat::chat {

HelloParse parseHello(std::string_view args) {
    Hello hello;
    bool modeGiven = false, nickGiven = false;
    for (;;) {
        auto [word, rest] = splitWord(args);
        if (word.empty()) break;
        args = rest;
        std::string folded = foldCase(word);
        if (folded == "json" || folded == "text") {
            if (modeGiven) return {std::nullopt, "hello: json or text, once"};
            modeGiven = true;
            hello.json = folded == "json";
        } else if (folded.starts_with("nick=")) {
            if (nickGiven) return {std::nullopt, "hello: nick= given twice"};
            nickGiven = true;
            hello.nick = std::string(word.substr(5));
            if (auto error = validateName(hello.nick, "nick")) return {std::nullopt, *error};
        } else if (folded.starts_with("room=")) {
            std::string_view list = word.substr(5);
            for (;;) {
                std::size_t comma = list.find(',');
                std::string_view room = roomArgument(list.substr(0, comma));
                if (auto error = validateName(room, "room")) return {std::nullopt, *error};
                bool dup = std::any_of(hello.rooms.begin(), hello.rooms.end(), [&](const auto& r) {
                    return foldCase(r) == foldCase(room);
                });
                if (!dup) hello.rooms.emplace_back(room);
                if (comma == std::string_view::npos) break;
                list.remove_prefix(comma + 1);
            }
        } else {
            return {std::nullopt, "hello: unknown word '" + std::string(word) +
                                      "' (usage: /hello [json|text] [nick=NAME] [room=ROOM,...])"};
        }
    }
    return {std::move(hello), {}};
}

namespace {

bool isHttpRequestLine(std::string_view line) {
    // METHOD SP TARGET SP HTTP/x.y, METHOD an upper-case token.
    std::size_t sp = line.find(' ');
    if (sp == 0 || sp == std::string_view::npos || sp > 16) return false;
    for (char c : line.substr(0, sp))
        if (c < 'A' || c > 'Z') return false;
    std::size_t last = line.rfind(' ');
    return last > sp && line.substr(last + 1).starts_with("HTTP/");
}

}  // namespace

ForeignProtocol detectForeignProtocol(std::string_view line) {
    if (isHttpRequestLine(line)) return ForeignProtocol::http;
    // IRC commands are sent in upper case by every client; "nick alice" typed by a person is
    // not one (and /nick is the chat command anyway).
    std::string_view word = line.substr(0, line.find(' '));
    for (std::string_view irc : {"CAP", "NICK", "USER", "PASS"})
        if (word == irc && line.size() > word.size()) return ForeignProtocol::irc;
    return ForeignProtocol::none;
}

bool looksLikeIrcCommand(std::string_view line) {
    std::size_t sp = line.find(' ');
    std::string_view word = line.substr(0, sp);
    if (word.size() < 3 || sp == std::string_view::npos) return false;
    return std::all_of(word.begin(), word.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

}  // namespace sockchat::chat
