#include "make_chat_backend.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <climits>

#include "local_chat_backend.h"
#include "sockchat/redis/credentials.h"

namespace sockchatd {

namespace {

// The numeric address of a host name (the first one), or "" with *error set.
std::string resolve(const std::string& host, std::string* error) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
    if (rc != 0 || !found) {
        *error = gai_strerror(rc);
        return "";
    }
    char numeric[NI_MAXHOST];
    rc = ::getnameinfo(found->ai_addr, found->ai_addrlen, numeric, sizeof numeric, nullptr, 0,
                       NI_NUMERICHOST);
    ::freeaddrinfo(found);
    if (rc != 0) {
        *error = gai_strerror(rc);
        return "";
    }
    return numeric;
}

std::string defaultNode() {
    char host[HOST_NAME_MAX + 1] = {};
    if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    std::string node;
    for (char c : std::string(host))
        node += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '-';
    if (node.empty()) node = "sockchatd";
    return node.substr(0, 40) + "-" + std::to_string(::getpid());
}

}  // namespace

ChatBackendChoice makeChatBackend(const sockchat::config::Config& config,
                                  sockchat::log::Logger& logger) {
    ChatBackendChoice choice;
    // Also when there is an error: the daemon then stops before any worker uses it.
    choice.backend = std::make_unique<LocalChatBackend>(
        config.chat.history, config.chat.history_bytes, config.chat.default_room);
    const auto& cluster = config.cluster;
    if (!cluster.redis && cluster.sentinels.empty()) return choice;
    cluster::ClusterSettings settings;
    if (!cluster.sentinels.empty()) {
        for (const auto& sentinel : cluster.sentinels) {
            std::string error;
            std::string numeric = resolve(sentinel.host, &error);
            if (numeric.empty()) {
                choice.error = "cluster.sentinels: cannot resolve " + sentinel.host + ": " + error;
                return choice;
            }
            settings.sentinels.push_back({numeric, sentinel.port});
        }
        settings.master = cluster.master;
        // Where the master is, Sentinel says before every connect; until one answers, a port
        // nothing listens on keeps the link down (and the log says why).
        settings.target = sockchat::redis::TcpTarget{"127.0.0.1", 0};
    } else if (cluster.redis->kind == sockchat::redis::Endpoint::Kind::unix_socket) {
        settings.target = sockchat::redis::UnixTarget{cluster.redis->path};
    } else {
        std::string error;
        std::string numeric = resolve(cluster.redis->host, &error);
        if (numeric.empty()) {
            choice.error = "cluster.redis: cannot resolve " + cluster.redis->host + ": " + error;
            return choice;
        }
        settings.target = sockchat::redis::TcpTarget{numeric, cluster.redis->port};
    }
    if (!cluster.password_file.empty()) {
        std::string error;
        auto credentials = sockchat::redis::readCredentials(cluster.password_file, &error);
        if (!credentials) {
            choice.error = "cluster.password_file: " + error;
            return choice;
        }
        settings.username = credentials->username;
        settings.password = credentials->password;
    }
    settings.node = cluster.node.empty() ? defaultNode() : cluster.node;
    settings.prefix = cluster.prefix;
    settings.nickTtl = cluster.nick_ttl;
    settings.defaultRoom = config.chat.default_room;
    settings.history = config.chat.history;
    auto backend = std::make_unique<cluster::RedisChatBackend>(std::move(settings), logger);
    choice.cluster = backend.get();
    choice.backend = std::move(backend);
    return choice;
}

}  // namespace sockchatd
