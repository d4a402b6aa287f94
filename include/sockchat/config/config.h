#pragma once
// The daemon's configuration as a plain struct. Defaults here are the embedded default config;
// etc/sockchatd.yaml must say the same (a unit test checks it). Loading and validation live in
// config/loader.h, in one place.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "sockchat/net/address.h"
#include "sockchat/redis/endpoint.h"
#include "sockchat/tls/server_settings.h"

namespace sockchat::config {

using Duration = std::chrono::milliseconds;

enum class Service { echo, chat };
enum class LogFormat { text, json };
enum class LogSink { automatic, console, journald };

struct Listener {
    Service service = Service::echo;
    net::SocketAddress address;  // parsed and numeric; port 0 = ephemeral (tests)
    std::optional<tls::ServerSettings> tls = std::nullopt;  // set: the listener speaks TLS
    friend bool operator==(const Listener&, const Listener&) = default;
};

struct EchoConfig {
    std::string prefix = "hello ";
    friend bool operator==(const EchoConfig&, const EchoConfig&) = default;
};

struct ChatConfig {
    std::string default_room = "lobby";
    unsigned history = 20;
    std::string motd = "Rooms: /rooms, who is here: /who, a private word: /msg NICK TEXT.";
    Duration partial_line_timeout{200};
    std::size_t presence_limit = 1000;  // joins/leaves shown to others up to this room size
    std::size_t history_bytes = 32 * 1024 * 1024;  // all rooms' history, daemon-wide
    friend bool operator==(const ChatConfig&, const ChatConfig&) = default;
};

struct Limits {
    std::size_t max_connections = 10000;
    std::size_t max_connections_per_ip = 64;
    std::size_t max_line_bytes = 4096;
    std::size_t output_buffer_bytes = 1024 * 1024;
    Duration idle_timeout{0};  // 0 = no idle timeout
    double messages_per_second = 5;
    unsigned burst = 20;
    unsigned max_rooms_per_client = 20;
    unsigned ipv6_prefix_length = 64;  // per-IP limits count IPv6 peers per network of this size
    friend bool operator==(const Limits&, const Limits&) = default;
};

struct Logging {
    std::string level = "info";  // trace, debug, info, warn, error, critical
    LogFormat format = LogFormat::text;
    LogSink sink = LogSink::automatic;
    unsigned client_events_per_second = 100;  // beyond it, per-client events go at debug
    friend bool operator==(const Logging&, const Logging&) = default;
};

struct Admin {
    std::string socket = "/run/sockchatd/admin.sock";
    // Members of this group may use the admin socket (besides root and the daemon's own user);
    // the socket file gets it as its group. "" = the daemon's own group.
    std::string group = "sockchatd";
    friend bool operator==(const Admin&, const Admin&) = default;
};

struct Metrics {
    std::string address;  // empty = off; else "host:port" serving Prometheus text
    friend bool operator==(const Metrics&, const Metrics&) = default;
};

// One chat across several daemons that share a Redis. Defaults: a single daemon, as without it.
// Nothing here is read or connected to by the loader (so `sockchatd -t` neither reads
// password_file nor reaches Redis): the startup does that.
struct Cluster {
    std::optional<redis::Endpoint> redis;    // nullopt = a single daemon (the YAML's "")
    std::string password_file;               // "" = no AUTH; else an absolute path
    std::string node;                        // "" = hostname + pid; else 1-64 of [A-Za-z0-9._-]
    std::string prefix = "sockchat:";        // of every Redis key: 1-64 printable, no spaces
    Duration nick_ttl{15000};                // 3s..1h; the heartbeat runs every nick_ttl / 3
    std::vector<redis::Endpoint> sentinels;  // TCP only; non-empty = find the master through them
    std::string master;                      // the master's name in Sentinel; set iff sentinels
    friend bool operator==(const Cluster&, const Cluster&) = default;
};

struct Config {
    unsigned threads = 0;  // 0 = one worker per CPU
    std::vector<Listener> listen;
    EchoConfig echo;
    ChatConfig chat;
    Limits limits;
    Duration shutdown_timeout{5000};
    Logging logging;
    Admin admin;
    Metrics metrics;
    Cluster cluster;
    friend bool operator==(const Config&, const Config&) = default;
};

const char* serviceName(Service s);

}  // namespace sockchat::config
