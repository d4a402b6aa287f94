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
