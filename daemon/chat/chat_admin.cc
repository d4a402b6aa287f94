// The operator's view of the chat sessions and voice into them (the admin socket's clients,
// kick and say; daemon/admin/PROTOCOL.md).
#include "../connection.h"
#include "chat_service.h"
#include "sockchat/chat/names.h"
#include "sockchat/chat/sanitize.h"

namespace sockchatd {

using sockchat::chat::foldCase;

namespace {
std::string_view withoutHash(std::string_view room) {
    if (!room.empty() && room.front() == '#') room.remove_prefix(1);
    return room;
}
}  // namespace

std::optional<ChatService::SessionInfo> ChatService::sessionInfo(const Connection& conn) const {
    auto it = sessions_.find(&conn);
    if (it == sessions_.end()) return std::nullopt;
    const Session& s = *it->second;
    SessionInfo info{s.nick, s.current, {}};
    for (const Membership& m : s.rooms)
        if (m.leftSeq == 0) info.rooms.push_back(m.name);
    return info;
}

Connection* ChatService::findByNick(std::string_view nick) {
    std::string key = foldCase(nick);
    for (auto& [_, s] : sessions_)
        if (!s->nick.empty() && foldCase(s->nick) == key) return &s->conn;
    return nullptr;
}

std::size_t ChatService::operatorNotice(std::string_view room, const std::string& text) {
    std::string key = foldCase(withoutHash(room));
    std::size_t told = 0;
    for (auto& [conn, s] : sessions_) {
        if (!key.empty()) {
            bool member = false;
            for (const Membership& m : s->rooms)
                member |= m.leftSeq == 0 && foldCase(m.name) == key;
            if (!member) continue;
        }
        told += operatorNotice(*conn, text);
    }
    return told;
}

bool ChatService::operatorNotice(const Connection& conn, const std::string& text) {
    auto it = sessions_.find(&conn);
    if (it == sessions_.end()) return false;
    Session& s = *it->second;
    if (!s.greeted || !s.quitReason.empty() || s.conn.closed()) return false;
    // A server line ("-!- " in text mode), which no client can produce, tagged as the operator's.
    sendNotice(s, "[operator] " + sockchat::chat::sanitizeText(text));
    return true;
}

}  // namespace sockchatd
