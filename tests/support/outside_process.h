#pragma once
// Pieces shared by the helpers that run outside programs for tests (RedisServer,
// HaproxyProcess) or listen themselves (TcpProxy): loopback addresses, a free port, and a child
// process started with its output in a log file.
#include <netinet/in.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sockchat::testing {

// 127.0.0.1:port.
sockaddr_in loopback(std::uint16_t port);

// A port the kernel just handed out as free. The program binds it a moment later; another
// process could take it in between, which on a test machine does not happen in practice.
std::uint16_t freeLoopbackPort();

// fork + execv of argv (argv[0] an absolute path), stdout and stderr appended to logPath.
// Returns the child's pid; the caller waits for it.
pid_t spawnLogged(const std::vector<std::string>& argv, const std::string& logPath);

}  // namespace sockchat::testing
