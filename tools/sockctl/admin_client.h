#pragma once
// One request to sockchatd's admin socket and its reply (daemon/admin/PROTOCOL.md): connect to
// the Unix socket, send one JSON line, read one line back. Everything is bounded (connecting and
// the reply share one deadline, the reply has a maximum size), because the tool must never hang
// on a wedged daemon; failures come back as sockctl's exit code and the one line to print.
#include <chrono>
#include <cstddef>
#include <string>

namespace sockctl::admin {

struct ClientLimits {
    // reload and stop are answered when they are done, which may take a moment.
    std::chrono::milliseconds timeout = std::chrono::seconds(30);
    std::size_t maxReply = std::size_t{64} << 20;  // the reply line, without its newline
};

struct Exchange {
    int exitCode = 0;   // 0: `reply` is the daemon's reply line; else 69, 77 or 1
    std::string reply;  // without its newline
    std::string error;  // when exitCode != 0: the message, naming the socket (no "sockctl: ")
};

// Sends requestLine (one JSON object, without newline) to the socket at socketPath and reads
// the reply line. Cannot connect, no reply (the daemon closed the connection, or was silent
// until the deadline): 69; EACCES/EPERM on connect: 77; a reply over the size limit: 1.
Exchange exchange(const std::string& socketPath, const std::string& requestLine,
                  const ClientLimits& limits = {});

}  // namespace sockctl::admin
