#pragma once
// Telling a sockchatd chat service from whatever else may listen at the address given (the echo
// port, a web server, an IRC server): sockctl must say so and stop, not show a prompt that
// leads nowhere or reconnect to it for ever.
#include <stdexcept>
#include <string>
#include <string_view>

namespace sockctl {

// Whether the first line a server sends could come from a chat service: a JSON object (the
// answer to "/mode json"), or sockchatd's text greeting or refusal ("-!- Welcome ...",
// "! server full ..."). The echo port's "hello /mode json" is neither.
bool looksLikeChatService(std::string_view firstLine);

// How sockchatd answers plain text on a TLS listener (its first line, then it closes).
inline constexpr std::string_view kTlsPortAnswer = "! this port speaks TLS";

// Whether that is the server's first line: the user left out --tls (and the config did not say).
bool isTlsPortAnswer(std::string_view firstLine);

// Thrown out of the chat session when the server wants TLS and we spoke plain text: fatal, no
// reconnect (every reconnect would meet the same), exit 69 like the reverse (TLS to a plain
// port). what(): "127.0.0.1:6697 speaks TLS: use --tls".
class TlsPortWithoutTls : public std::runtime_error {
  public:
    explicit TlsPortWithoutTls(std::string_view address);
};

// Thrown out of the chat session: fatal, no reconnect. main() prints "sockctl: " + what() and
// exits 1.
class NotAChatService : public std::runtime_error {
  public:
    // why: e.g. `it answered "hello /mode json"`.
    NotAChatService(std::string_view address, std::string_view why);

    // The first line as the message quotes it: control bytes escaped, cut when long.
    static NotAChatService answered(std::string_view address, std::string_view firstLine);
};

}  // namespace sockctl
