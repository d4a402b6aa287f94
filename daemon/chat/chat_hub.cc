#include "chat_hub.h"

#include "sockchat/chat/names.h"

namespace sockchatd {

using sockchat::chat::foldCase;

ChatHub::ChatHub(unsigned history, std::string defaultRoom)
    : history_(history), defaultRoom_(std::move(defaultRoom)) {}

std::size_t ChatHub::attach(sockchat::net::EventLoop& loop, ChatEndpoint& endpoint) {
    std::lock_guard lock(mutex_);
    endpoints_.push_back({&loop, &endpoint});
    for (auto& [_, room] : rooms_) room.perWorker.resize(endpoints_.size());
    return endpoints_.size() - 1;
}

void ChatHub::setHistory(unsigned history) {
    std::lock_guard lock(mutex_);
    history_ = history;
    for (auto& [_, room] : rooms_)
        while (room.history.size() > history_) room.history.pop_front();
}

ChatHub::Client ChatHub::addClient(std::size_t worker) {
    std::lock_guard lock(mutex_);
    std::uint64_t id = ++nextClient_;
    for (;;) {
        std::string nick = "guest-" + std::to_string(++nextGuest_);
        if (nicks_.emplace(nick, Nick{nick, worker, id}).second) return {id, nick};
    }
}

void ChatHub::removeClient(const std::string& nick) {
    std::lock_guard lock(mutex_);
    nicks_.erase(foldCase(nick));
}

ChatHub::RenameResult ChatHub::rename(const std::string& oldNick, const std::string& newNick,
                                      const std::string& roomName) {
    std::lock_guard lock(mutex_);
    std::string oldKey = foldCase(oldNick), newKey = foldCase(newNick);
    auto it = nicks_.find(oldKey);
    if (it == nicks_.end()) return RenameResult::taken;
    if (newKey != oldKey && nicks_.count(newKey)) return RenameResult::taken;
    Nick owner = it->second;
    owner.display = newNick;
    nicks_.erase(it);
    nicks_.emplace(newKey, std::move(owner));
    auto room = rooms_.find(foldCase(roomName));
    if (room != rooms_.end()) {
        room->second.members.erase(oldKey);
        room->second.members[newKey] = newNick;
        ChatEvent e;
        e.type = ChatEvent::Type::nick;
        e.from = oldNick;
        e.nick = newNick;
        broadcastLocked(room->second, std::move(e));
    }
    return RenameResult::ok;
}

ChatHub::Joined ChatHub::join(const std::string& roomName, const std::string& nick,
                              std::size_t worker) {
    std::lock_guard lock(mutex_);
    std::string key = foldCase(roomName);
    auto [it, created] = rooms_.try_emplace(key);
    Room& room = it->second;
    if (created) {
        room.id = ++nextRoomId_;
        room.name = roomName;
        room.perWorker.resize(endpoints_.size());
    }
    room.members[foldCase(nick)] = nick;
    ++room.perWorker.at(worker);
    ChatEvent e;
    e.type = ChatEvent::Type::join;
    e.nick = nick;
    std::uint64_t seq = broadcastLocked(room, std::move(e));
    return {room.name, room.id, seq,
            std::vector<ChatEvent>(room.history.begin(), room.history.end())};
}

void ChatHub::leave(const std::string& roomName, const std::string& nick, std::size_t worker,
                    const std::string& reason) {
    std::lock_guard lock(mutex_);
    std::string key = foldCase(roomName);
    auto it = rooms_.find(key);
    if (it == rooms_.end()) return;
    Room& room = it->second;
    if (room.members.erase(foldCase(nick)) == 0) return;
    --room.perWorker.at(worker);
    ChatEvent e;
    e.type = ChatEvent::Type::leave;
    e.nick = nick;
    e.text = reason;
    broadcastLocked(room, std::move(e));
    // Empty rooms go away (and their history with them), except the default room.
    if (room.members.empty() && key != foldCase(defaultRoom_)) rooms_.erase(it);
}

void ChatHub::publish(ChatEvent event) {
    std::lock_guard lock(mutex_);
    auto it = rooms_.find(foldCase(event.room));
    if (it == rooms_.end()) return;
    broadcastLocked(it->second, std::move(event));
}

std::optional<std::string> ChatHub::sendPrivate(ChatEvent event) {
    std::lock_guard lock(mutex_);
    auto it = nicks_.find(foldCase(event.to));
    if (it == nicks_.end()) return std::nullopt;
    const Nick& owner = it->second;
    event.to = owner.display;
    event.nick = owner.display;  // the recipient's copy
    Endpoint target = endpoints_.at(owner.worker);
    target.loop->post([target, client = owner.client, event = std::move(event)] {
        target.endpoint->deliverPrivate(client, event);
    });
    return owner.display;
}

std::uint64_t ChatHub::broadcastLocked(Room& room, ChatEvent event) {
    event.seq = ++room.seq;
    event.room = room.name;
    // Stamped under the lock, so ts never goes backwards within a room's seq order.
    event.time = std::chrono::system_clock::now();
    if (event.type == ChatEvent::Type::message || event.type == ChatEvent::Type::action) {
        if (history_ > 0) {
            ChatEvent past = event;
            past.action = event.type == ChatEvent::Type::action;
            past.type = ChatEvent::Type::history;
            room.history.push_back(std::move(past));
            while (room.history.size() > history_) room.history.pop_front();
        }
    }
    // Render once; every worker with members gets the same immutable buffers.
    auto rendered = std::make_shared<const RenderedEvent>(room.id, event);
    for (std::size_t w = 0; w < endpoints_.size(); ++w) {
        if (room.perWorker[w] == 0) continue;
        Endpoint target = endpoints_[w];
        target.loop->post([target, rendered] { target.endpoint->deliverRoomEvent(rendered); });
    }
    return event.seq;
}

std::optional<std::pair<std::string, std::vector<std::string>>> ChatHub::who(
    const std::string& roomName) const {
    std::lock_guard lock(mutex_);
    auto it = rooms_.find(foldCase(roomName));
    if (it == rooms_.end()) return std::nullopt;
    std::vector<std::string> names;
    for (const auto& [_, display] : it->second.members) names.push_back(display);
    return std::make_pair(it->second.name, std::move(names));
}

std::vector<std::pair<std::string, std::size_t>> ChatHub::rooms() const {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<std::string, std::size_t>> out;
    for (const auto& [_, room] : rooms_) out.emplace_back(room.name, room.members.size());
    return out;
}

std::size_t ChatHub::roomCount() const {
    std::lock_guard lock(mutex_);
    return rooms_.size();
}

std::size_t ChatHub::clientCount() const {
    std::lock_guard lock(mutex_);
    return nicks_.size();
}

}  // namespace sockchatd
