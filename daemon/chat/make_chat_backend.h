#pragma once
// Chooses where the daemon's chat state lives: this process (no cluster.redis) or a cluster's
// Redis. Runs at startup, before any worker: reads the AUTH secret and resolves Redis's host
// name, so that a bad password file or an unknown host stops the daemon with a clear line.
#include <memory>
#include <string>

#include "chat_backend.h"
#include "cluster/redis_chat_backend.h"
#include "sockchat/config/config.h"
#include "sockchat/log/logger.h"

namespace sockchatd {

struct ChatBackendChoice {
    std::unique_ptr<ChatBackend> backend;
    cluster::RedisChatBackend* cluster = nullptr;  // the same object, when it is a cluster
    std::string error;  // set: the daemon cannot start (exit 78); backend is then a stand-in
};

ChatBackendChoice makeChatBackend(const sockchat::config::Config& config,
                                  sockchat::log::Logger& logger);

}  // namespace sockchatd
