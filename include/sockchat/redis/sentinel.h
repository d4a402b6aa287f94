#pragma once
// Asks Redis Sentinel where a master is (`SENTINEL get-master-addr-by-name NAME`), trying each
// Sentinel in turn with a short timeout. Blocking: for startup and for a thread of its own (the
// cluster's loop, before a reconnect), never a worker.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "sockchat/redis/connection.h"

namespace sockchat::redis {

// The master's address from the first Sentinel that knows it; nullopt (and *error, if given,
// says why, for the last Sentinel tried) when none answers.
std::optional<TcpTarget> askSentinels(const std::vector<TcpTarget>& sentinels,
                                      const std::string& master, std::chrono::milliseconds timeout,
                                      std::string* error = nullptr);

}  // namespace sockchat::redis
