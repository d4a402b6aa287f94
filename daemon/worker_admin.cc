// Worker: the admin socket's views of and actions on this worker's connections. Each runs on the
// worker's thread (posted), where the connections live, and answers there.
#include <chrono>

#include "worker.h"

namespace sockchatd {

Connection* Worker::findClient(const std::string& target) {
    for (auto& [raw, conn] : connections_)
        if (!conn->closed() && conn->id() == target) return raw;
    Connection* byNick = chat_.findByNick(target);
    return byNick && !byNick->closed() ? byNick : nullptr;
}

void Worker::listClients(std::function<void(std::vector<ClientInfo>)> done) {
    loop_.post([this, done = std::move(done)] {
        auto now = Connection::Clock::now();
        std::vector<ClientInfo> out;
        out.reserve(connections_.size());
        for (auto& [raw, conn] : connections_) {
            if (conn->closed()) continue;
            ClientInfo info;
            info.id = conn->id();
            info.peer = conn->peer().toString();
            info.listener = conn->listener();
            info.chat = chat_.sessionInfo(*conn);
            info.service = info.chat ? "chat" : "echo";
            info.connectedSeconds = std::chrono::duration<double>(now - conn->started()).count();
            info.bytesIn = conn->bytesIn();
            info.bytesOut = conn->bytesOut();
            info.outputQueued = conn->pendingOutput();
            out.push_back(std::move(info));
        }
        done(std::move(out));
    });
}

void Worker::countByListener(std::function<void(std::map<std::string, std::size_t>)> done) {
    loop_.post([this, done = std::move(done)] {
        std::map<std::string, std::size_t> counts;
        for (auto& [raw, conn] : connections_)
            if (!conn->closed()) ++counts[conn->listener()];
        done(std::move(counts));
    });
}

void Worker::kick(std::string target, std::string reason,
                  std::function<void(std::vector<Kicked>)> done) {
    loop_.post(
        [this, target = std::move(target), reason = std::move(reason), done = std::move(done)] {
            std::vector<Kicked> kicked;
            if (Connection* conn = findClient(target)) {
                auto session = chat_.sessionInfo(*conn);
                Kicked k{conn->id(), session ? session->nick : ""};
                shared_.logger.info("kick", "kicked by the operator",
                                    {{"conn", k.id},
                                     {"peer", conn->peer().toString()},
                                     {"nick", k.nick},
                                     {"reason", reason}});
                // Bounded: a kicked client that never reads still goes.
                conn->beginGracefulClose(reason.empty() ? "kick" : "kick: " + reason, true);
                kicked.push_back(std::move(k));
            }
            done(std::move(kicked));
        });
}

void Worker::noticeRoom(std::string room, std::string text, std::function<void(std::size_t)> done) {
    loop_.post([this, room = std::move(room), text = std::move(text), done = std::move(done)] {
        done(chat_.operatorNotice(room, text));
    });
}

void Worker::noticeClient(std::string target, std::string text,
                          std::function<void(std::size_t)> done) {
    loop_.post([this, target = std::move(target), text = std::move(text), done = std::move(done)] {
        Connection* conn = findClient(target);
        done(conn && chat_.operatorNotice(*conn, text) ? 1 : 0);
    });
}

}  // namespace sockchatd
