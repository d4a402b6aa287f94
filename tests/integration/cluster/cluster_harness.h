#pragma once
// The cluster tests' pieces: daemons configured for one Redis, waiting until their cluster link
// is up (a log event, never a sleep), and clients that read a room's message lines.
#include <memory>
#include <string>
#include <vector>

#include "chat/chat_client.h"
#include "daemon_process.h"
#include "redis_server.h"

namespace sockchat::testing {

struct ClusterNode {
    std::string name;
    std::unique_ptr<DaemonProcess> daemon;
    std::uint16_t chatPort() const { return daemon->port(0); }
};

// cluster: YAML for one daemon of a cluster on `redis` (e.g. "127.0.0.1:6379"): chat and echo
// listeners, 2 workers, a short nick_ttl, rate limits out of the way, plus `extra`.
std::string clusterConfig(const std::string& redis, const std::string& node,
                          const std::string& extra = "", const std::string& clusterExtra = "");

// Starts a daemon and waits until its cluster link is up.
ClusterNode startNode(const RedisServer& redis, const std::string& node,
                      const std::string& extra = "");

[[nodiscard]] bool waitForLink(const DaemonProcess& daemon, const std::string& state,
                               std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A chat client that has been greeted (its guest nick joined) and renamed to `nick`.
std::unique_ptr<ChatClient> joinAs(std::uint16_t port, const std::string& nick);

// Message lines ("<nick> text") the client reads until it has `count` of them, or the timeout.
std::vector<std::string> readMessages(ChatClient& client, std::size_t count,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(15));

}  // namespace sockchat::testing
