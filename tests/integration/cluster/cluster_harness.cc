#include "cluster_harness.h"

#include <stdexcept>

namespace sockchat::testing {

std::string clusterConfig(const std::string& redis, const std::string& node,
                          const std::string& extra, const std::string& clusterExtra) {
    return testConfig(
        "  - {service: chat, address: \"127.0.0.1:0\"}\n"
        "  - {service: echo, address: \"127.0.0.1:0\"}\n",
        "threads: 2\n"
        "limits: {messages_per_second: 10000, burst: 10000}\n"
        "cluster: {redis: \"" +
            redis + "\", node: " + node + ", nick_ttl: 3s" + clusterExtra + "}\n" + extra);
}

bool waitForLink(const DaemonProcess& daemon, const std::string& state,
                 std::chrono::milliseconds timeout) {
    return daemon
        .waitForEvent(
            [&](const nlohmann::json& e) {
                return e.value("event", "") == "cluster" && e.value("state", "") == state;
            },
            timeout)
        .has_value();
}

ClusterNode startNode(const RedisServer& redis, const std::string& node, const std::string& extra) {
    ClusterNode n;
    n.name = node;
    n.daemon = std::make_unique<DaemonProcess>(
        clusterConfig("127.0.0.1:" + std::to_string(redis.port()), node, extra));
    if (!waitForLink(*n.daemon, "up"))
        throw std::runtime_error("node " + node + ": cluster link never came up:\n" +
                                 n.daemon->stderrText());
    return n;
}

std::unique_ptr<ChatClient> joinAs(std::uint16_t port, const std::string& nick) {
    auto client = std::make_unique<ChatClient>(port);
    client->readGreeting();
    client->nick(nick);
    return client;
}

std::vector<std::string> readMessages(ChatClient& client, std::size_t count,
                                      std::chrono::milliseconds timeout) {
    std::vector<std::string> lines;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (lines.size() < count) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        std::string line = client.nextLine(left);
        if (line.empty() && client.closed()) break;
        if (line.rfind("<", 0) == 0) lines.push_back(line);
    }
    return lines;
}

}  // namespace sockchat::testing
