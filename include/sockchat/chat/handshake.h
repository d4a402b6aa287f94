#pragma once
// What a chat client may say before any chat (PROTOCOL.md "Handshake"): the /hello line that
// states mode, nick and rooms up front, and the lines that show the peer speaks another
// protocol (an HTTP request, IRC registration) and must not be posted to a room.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sockchat::chat {

struct Hello {
    bool json = false;
    std::string nick;                // empty: keep the guest nick
    std::vector<std::string> rooms;  // empty: the default room; the first is the current one
};

// Parses the arguments of "/hello [json|text] [nick=NAME] [room=ROOM[,ROOM...]]" (words in any
// order, room= may repeat; "#dev" and "dev" name the same room). Names are checked against the
// charset; whether they are free is the hub's business. Error: a text for the client.
struct HelloParse {
    std::optional<Hello> hello;
    std::string error;
};
HelloParse parseHello(std::string_view args);

enum class ForeignProtocol { none, http, irc };

// The protocol a line reveals when it is clearly not chat: an HTTP request line
// ("GET / HTTP/1.1") or an IRC registration command ("CAP LS 302", "NICK x", "USER ...",
// "PASS ..."). Only meaningful for a client's first lines: later, "NICK is back" is chat.
ForeignProtocol detectForeignProtocol(std::string_view line);
// An IRC command line ("JOIN #x", "PING :t", "PRIVMSG ..."): an upper-case word of 3+ letters
// and arguments. What an IRC client sends after its registration was refused.
bool looksLikeIrcCommand(std::string_view line);

}  // namespace sockchat::chat
