#pragma once
// Small socket helpers shared by the daemon and the tools. Every function that creates a socket
// returns an Fd; errors come back as errno values so callers can word them for their user.
#include <sys/types.h>

#include <cstddef>

#include "sockchat/net/address.h"
#include "sockchat/net/fd.h"

namespace sockchat::net {

// A non-blocking, close-on-exec TCP listener with SO_REUSEADDR (and IPV6_V6ONLY for IPv6, so
// "[::]:p" and "0.0.0.0:p" can be configured side by side). On failure returns an invalid Fd and
// stores errno in *error.
Fd listenTcp(const SocketAddress& address, int backlog, int* error);

// A blocking TCP connection (for clients and tests). Invalid Fd + *error on failure.
Fd connectTcp(const SocketAddress& address, int* error);

SocketAddress localAddress(int fd);
SocketAddress peerAddress(int fd);
// SO_TYPE == SOCK_STREAM and listening (for sockets handed over by systemd).
bool isListeningStream(int fd);

// send() with MSG_NOSIGNAL: a peer that went away must never kill the process with SIGPIPE.
ssize_t sendNoSignal(int fd, const void* data, std::size_t len);

}  // namespace sockchat::net
