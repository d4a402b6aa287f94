#include "sockchat/config/diff.h"

#include <algorithm>
#include <sstream>

#include "sockchat/config/units.h"

namespace sockchat::config {
namespace {

std::string quoted(const std::string& s) {
    return "\"" + s + "\"";
}

std::string number(double value) {  // 5 -> "5", 0.5 -> "0.5", as written in the file
    std::ostringstream out;
    out << value;
    return out.str();
}

std::string listenerText(const Listener& l) {
    return l.address.toString() + " (" + serviceName(l.service) + (l.tls ? ", tls" : "") + ")";
}

const char* formatName(LogFormat f) {
    return f == LogFormat::json ? "json" : "text";
}
const char* sinkName(LogSink s) {
    switch (s) {
        case LogSink::console:
            return "console";
        case LogSink::journald:
            return "journald";
        default:
            return "auto";
    }
}

}  // namespace

std::vector<std::pair<std::string, std::string>> describeSettings(const Config& c) {
    std::string sentinels;
    for (const auto& s : c.cluster.sentinels)
        sentinels += (sentinels.empty() ? "" : ", ") + s.describe();
    return {
        {"threads", std::to_string(c.threads)},
        {"echo.prefix", quoted(c.echo.prefix)},
        {"chat.default_room", c.chat.default_room},
        {"chat.history", std::to_string(c.chat.history)},
        {"chat.history_bytes", formatSize(c.chat.history_bytes)},
        {"chat.motd", quoted(c.chat.motd)},
        {"chat.partial_line_timeout", formatDuration(c.chat.partial_line_timeout)},
        {"chat.presence_limit", std::to_string(c.chat.presence_limit)},
        {"limits.max_connections", std::to_string(c.limits.max_connections)},
        {"limits.max_connections_per_ip", std::to_string(c.limits.max_connections_per_ip)},
        {"limits.ipv6_prefix_length", std::to_string(c.limits.ipv6_prefix_length)},
        {"limits.max_line_bytes", formatSize(c.limits.max_line_bytes)},
        {"limits.output_buffer_bytes", formatSize(c.limits.output_buffer_bytes)},
        {"limits.idle_timeout", formatDuration(c.limits.idle_timeout)},
        {"limits.messages_per_second", number(c.limits.messages_per_second)},
        {"limits.burst", std::to_string(c.limits.burst)},
        {"limits.max_rooms_per_client", std::to_string(c.limits.max_rooms_per_client)},
        {"shutdown_timeout", formatDuration(c.shutdown_timeout)},
        {"logging.level", c.logging.level},
        {"logging.format", formatName(c.logging.format)},
        {"logging.sink", sinkName(c.logging.sink)},
        {"logging.client_events_per_second", std::to_string(c.logging.client_events_per_second)},
        {"admin.socket", quoted(c.admin.socket)},
        {"admin.group", quoted(c.admin.group)},
        {"metrics.address", quoted(c.metrics.address)},
        {"cluster.redis", quoted(c.cluster.redis ? c.cluster.redis->describe() : "")},
        {"cluster.password_file", quoted(c.cluster.password_file)},
        {"cluster.node", quoted(c.cluster.node)},
        {"cluster.prefix", quoted(c.cluster.prefix)},
        {"cluster.nick_ttl", formatDuration(c.cluster.nick_ttl)},
        {"cluster.sentinels", "[" + sentinels + "]"},
        {"cluster.master", quoted(c.cluster.master)},
    };
}

std::vector<ConfigChange> diffConfigs(const Config& before, const Config& after) {
    std::vector<ConfigChange> changes;
    auto a = describeSettings(before), b = describeSettings(after);
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].second != b[i].second)
            changes.push_back({a[i].first, a[i].second + " -> " + b[i].second});
    auto has = [](const std::vector<Listener>& list, const Listener& l) {
        return std::find(list.begin(), list.end(), l) != list.end();
    };
    for (const Listener& l : after.listen)
        if (!has(before.listen, l)) changes.push_back({"listen", "+" + listenerText(l)});
    for (const Listener& l : before.listen)
        if (!has(after.listen, l)) changes.push_back({"listen", "-" + listenerText(l)});
    return changes;
}

}  // namespace sockchat::config
