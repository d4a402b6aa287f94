#include "local_chat_backend.h"

#include <chrono>
#include <functional>
#include <mutex>
#include <queue>
#include <shared_mutex>
#include <vector>

#include "sockchat/chat/names.h"

namespace sockchatd {

using sockchat::chat::foldCase;

namespace {
constexpr std::size_t kNoRoom = static_cast<std::size_t>(-1);  // resizedLocked(): no such room
}  // namespace

LocalChatBackend::LocalChatBackend(unsigned history, std::size_t historyBudget,
                                   std::string defaultRoom)
    : history_(history), historyBudget_(historyBudget), defaultRoom_(std::move(defaultRoom)) {
    // A history entry made and freed while file descriptors are plenty: UBSan's vptr check (the
    // sanitizer builds) needs a pipe the first time it meets a type, and a daemon out of fds
    // could not give it one (a false "invalid vptr" in Chat.OutOfFileDescriptors...).
    [[maybe_unused]] auto warmUp = std::make_shared<const ChatEvent>();
}

std::size_t LocalChatBackend::attach(sockchat::net::EventLoop& loop, ChatEndpoint& endpoint) {
    std::unique_lock lock(directory_);
    endpoints_.push_back({&loop, &endpoint});
    for (auto& [_, room] : rooms_) room.perWorker.resize(endpoints_.size());
    return endpoints_.size() - 1;
}

void LocalChatBackend::setHistory(unsigned history) {
    std::unique_lock lock(directory_);
    history_ = history;
    for (auto& [_, room] : rooms_)
        while (room.history.size() > history_) popOldestHistory(room);
}

void LocalChatBackend::setHistoryBudget(std::size_t bytes) {
    std::unique_lock lock(directory_);
    historyBudget_ = bytes;
    enforceHistoryBudgetLocked();
}

std::size_t LocalChatBackend::historyBytes() const {
    return historyBytes_.load(std::memory_order_relaxed);
}

namespace {
// An entry's cost: its strings' heap and the entry itself. Text is sanitised and bounded by
// max_line_bytes, but invalid UTF-8 can triple it (each byte a 3-byte U+FFFD): count what is
// stored, not what was sent.
std::size_t historyCost(const ChatEvent& e) {
    return sizeof(ChatEvent) + 32 + e.text.capacity() + e.from.capacity() + e.room.capacity();
}
}  // namespace

void LocalChatBackend::pushHistory(Room& room, SharedChatEvent past) {
    std::size_t bytes = historyCost(*past);
    // Monotonic within the room (stamped under its lock); across rooms, time orders arrivals.
    std::int64_t stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    room.history.push_back({std::move(past), stamp, bytes});
    historyBytes_.fetch_add(bytes, std::memory_order_relaxed);
    while (room.history.size() > history_) popOldestHistory(room);
}

void LocalChatBackend::popOldestHistory(Room& room) {
    if (room.history.empty()) return;
    historyBytes_.fetch_sub(room.history.front().bytes, std::memory_order_relaxed);
    room.history.pop_front();
}

void LocalChatBackend::dropHistory(Room& room) {
    while (!room.history.empty()) popOldestHistory(room);
}

void LocalChatBackend::enforceHistoryBudgetLocked() {
    std::size_t budget = historyBudget_.load();
    if (historyBytes_.load() <= budget) return;
    // Down to 7/8 of the budget: the scan below is then paid once per budget/8 bytes of history.
    std::size_t target = budget - budget / 8;
    using Oldest = std::pair<std::int64_t, Room*>;  // (a room's oldest entry's stamp, the room)
    std::priority_queue<Oldest, std::vector<Oldest>, std::greater<>> oldestFirst;
    for (auto& [_, room] : rooms_)
        if (!room.history.empty()) oldestFirst.emplace(room.history.front().stamp, &room);
    while (historyBytes_.load() > target && !oldestFirst.empty()) {
        Room& room = *oldestFirst.top().second;
        oldestFirst.pop();
        popOldestHistory(room);
        if (!room.history.empty()) oldestFirst.emplace(room.history.front().stamp, &room);
    }
}

LocalChatBackend::Client LocalChatBackend::addClient(std::size_t worker) {
    std::unique_lock lock(directory_);
    std::uint64_t id = ++nextClient_;
    for (;;) {
        std::string nick = "guest-" + std::to_string(++nextGuest_);
        if (nicks_.emplace(nick, Nick{nick, worker, id, {}, {}}).second) return {id, nick};
    }
}

void LocalChatBackend::removeClient(std::uint64_t /*client*/, const std::string& nick,
                                    std::size_t worker, const std::string& reason) {
    std::unique_lock lock(directory_);
    auto it = nicks_.find(foldCase(nick));
    if (it == nicks_.end()) return;
    for (const std::string& key : it->second.rooms) leaveLocked(key, nick, worker, reason);
    nicks_.erase(it);
}

void LocalChatBackend::rename(const std::string& oldNick, const std::string& newNick,
                              std::size_t /*worker*/, Done<Renamed> done) {
    done({"", renameNow(oldNick, newNick)});
}

LocalChatBackend::Renamed LocalChatBackend::renameNow(const std::string& oldNick,
                                                      const std::string& newNick) {
    std::unique_lock lock(directory_);
    Renamed renamed;
    std::string oldKey = foldCase(oldNick), newKey = foldCase(newNick);
    auto it = nicks_.find(oldKey);
    if (it == nicks_.end()) return renamed;
    if (newKey != oldKey && nicks_.count(newKey)) return renamed;
    Nick owner = std::move(it->second);
    owner.display = newNick;
    nicks_.erase(it);
    for (const std::string& roomKey : owner.rooms) {
        auto room = rooms_.find(roomKey);
        if (room == rooms_.end()) continue;
        room->second.members.erase(oldKey);
        room->second.members[newKey] = newNick;
        ChatEvent e;
        e.type = ChatEvent::Type::nick;
        e.from = oldNick;
        e.nick = newNick;
        renamed.published.push_back({room->second.id, broadcastLocked(room->second, std::move(e))});
    }
    nicks_.emplace(newKey, std::move(owner));
    renamed.result = RenameResult::ok;
    return renamed;
}

LocalChatBackend::Joined LocalChatBackend::joinNow(const std::string& roomName,
                                                   const std::string& nick, std::size_t worker) {
    std::unique_lock lock(directory_);
    std::string key = foldCase(roomName);
    auto [it, created] = rooms_.try_emplace(key, roomContention_);
    Room& room = it->second;
    std::size_t before = created ? kNoRoom : room.members.size();
    if (created) {
        room.id = ++nextRoomId_;
        room.name = roomName;
        room.perWorker.resize(endpoints_.size());
        room.topic.type = ChatEvent::Type::topic;
    }
    room.members[foldCase(nick)] = nick;
    resizedLocked(key, before, room.members.size());
    ++room.perWorker.at(worker);
    if (auto owner = nicks_.find(foldCase(nick)); owner != nicks_.end())
        owner->second.rooms.insert(key);
    ChatEvent e;
    e.type = ChatEvent::Type::join;
    e.nick = nick;
    std::uint64_t seq = broadcastLocked(room, std::move(e));
    ChatEvent topic = room.topic;
    topic.seq = 0;  // shown on join, not news
    topic.room = room.name;
    std::vector<SharedChatEvent> past;
    past.reserve(room.history.size());
    for (const HistoryEntry& entry : room.history) past.push_back(entry.event);
    return {room.name, room.id, seq, std::move(past), std::move(topic)};
}

std::optional<LocalChatBackend::Published> LocalChatBackend::leaveNow(const std::string& roomName,
                                                                      const std::string& nick,
                                                                      std::size_t worker,
                                                                      const std::string& reason) {
    std::unique_lock lock(directory_);
    auto owner = nicks_.find(foldCase(nick));
    std::string key = foldCase(roomName);
    if (owner != nicks_.end()) owner->second.rooms.erase(key);
    return leaveLocked(key, nick, worker, reason);
}

std::optional<LocalChatBackend::Published> LocalChatBackend::leaveLocked(
    const std::string& key, const std::string& nick, std::size_t worker,
    const std::string& reason) {
    auto it = rooms_.find(key);
    if (it == rooms_.end()) return std::nullopt;
    Room& room = it->second;
    if (room.members.erase(foldCase(nick)) == 0) return std::nullopt;
    ChatEvent e;
    e.type = ChatEvent::Type::leave;
    e.nick = nick;
    e.text = reason;
    // Broadcast before the leaver's worker stops counting it: the leaver sees its own leave.
    Published left{room.id, broadcastLocked(room, std::move(e))};
    --room.perWorker.at(worker);
    // Empty rooms go away (and their history with them), except the default room.
    bool gone = room.members.empty() && key != foldCase(defaultRoom_);
    resizedLocked(key, room.members.size() + 1, gone ? kNoRoom : room.members.size());
    if (gone) {
        dropHistory(room);
        rooms_.erase(it);
    }
    return left;
}

std::optional<LocalChatBackend::Published> LocalChatBackend::publishNow(ChatEvent event) {
    // The message path: the directory shared (the room cannot go meanwhile), the room alone.
    std::optional<Published> published;
    {
        std::shared_lock lock(directory_);
        auto it = rooms_.find(foldCase(event.room));
        if (it == rooms_.end()) return std::nullopt;
        std::lock_guard roomLock(it->second.mutex);
        published = Published{it->second.id, broadcastLocked(it->second, std::move(event))};
    }
    if (historyBytes_.load(std::memory_order_relaxed) > historyBudget_.load()) {
        std::unique_lock lock(directory_);
        enforceHistoryBudgetLocked();
    }
    return published;
}

std::optional<LocalChatBackend::Recipient> LocalChatBackend::sendPrivateNow(ChatEvent event) {
    std::shared_lock lock(directory_);
    auto it = nicks_.find(foldCase(event.to));
    if (it == nicks_.end()) return std::nullopt;
    const Nick& owner = it->second;
    Recipient recipient{owner.display, owner.away};
    // A note to oneself: the sender's own copy is the only one.
    if (foldCase(event.from) == it->first) return recipient;
    event.to = owner.display;
    event.nick = owner.display;  // the recipient's copy
    Endpoint target = endpoints_.at(owner.worker);
    target.loop->post([target, client = owner.client, event = std::move(event)] {
        target.endpoint->deliverPrivate(client, event);
    });
    return recipient;
}

void LocalChatBackend::setAway(const std::string& nick, std::string text, std::size_t /*worker*/) {
    std::unique_lock lock(directory_);
    if (auto it = nicks_.find(foldCase(nick)); it != nicks_.end())
        it->second.away = std::move(text);
}

std::optional<LocalChatBackend::Whois> LocalChatBackend::whoisNow(const std::string& nick) const {
    std::shared_lock lock(directory_);
    auto it = nicks_.find(foldCase(nick));
    if (it == nicks_.end()) return std::nullopt;
    Whois w{it->second.display, {}, it->second.away};
    for (const auto& key : it->second.rooms)
        if (auto room = rooms_.find(key); room != rooms_.end())
            w.rooms.push_back(room->second.name);
    return w;
}

std::uint64_t LocalChatBackend::broadcastLocked(Room& room, ChatEvent event) {
    event.seq = ++room.seq;
    event.room = room.name;
    // Stamped under the room's lock, so ts never goes backwards within a room's seq order.
    event.time = std::chrono::system_clock::now();
    if (event.type == ChatEvent::Type::topic) room.topic = event;
    if (event.type == ChatEvent::Type::join || event.type == ChatEvent::Type::leave)
        event.members = room.members.size();
    std::uint64_t seq = event.seq;
    bool said = event.type == ChatEvent::Type::message || event.type == ChatEvent::Type::action;
    room.messages += said;
    if (said && history_ > 0) {
        // History keeps its own copy (as type history); the live event goes to the members.
        ChatEvent past = event;
        past.action = past.type == ChatEvent::Type::action;
        past.type = ChatEvent::Type::history;
        pushHistory(room, std::make_shared<const ChatEvent>(std::move(past)));
    }
    // Render once; every worker with members gets the same immutable buffers.
    auto rendered = std::make_shared<const RenderedEvent>(room.id, std::move(event));
    for (std::size_t w = 0; w < endpoints_.size(); ++w) {
        if (room.perWorker[w] == 0) continue;
        Endpoint target = endpoints_[w];
        target.loop->post([target, rendered] { target.endpoint->deliverRoomEvent(rendered); });
    }
    return seq;
}

std::optional<LocalChatBackend::Members> LocalChatBackend::whoNow(
    const std::string& roomName) const {
    std::shared_lock lock(directory_);
    auto it = rooms_.find(foldCase(roomName));
    if (it == rooms_.end()) return std::nullopt;
    std::vector<std::string> names;
    for (const auto& [_, display] : it->second.members) names.push_back(display);
    return Members{it->second.name, std::move(names)};
}

void LocalChatBackend::resizedLocked(const std::string& key, std::size_t before,
                                     std::size_t after) {
    if (before == after) return;
    if (before != kNoRoom) bySize_.erase({before, key});
    if (after != kNoRoom) bySize_.emplace(after, key);
}

LocalChatBackend::RoomPage LocalChatBackend::roomsNow(const RoomQuery& query) const {
    std::shared_lock lock(directory_);
    RoomPage page;
    auto add = [&](const std::string& key) {
        const Room& room = rooms_.at(key);
        std::lock_guard roomLock(room.mutex);  // a message may be changing the topic
        page.rooms.push_back({room.name, room.members.size(), room.topic.text});
    };
    if (query.pattern.empty()) {
        page.total = bySize_.size();
        auto it = bySize_.begin();
        std::advance(it, std::min(query.offset, bySize_.size()));
        for (; it != bySize_.end() && page.rooms.size() < query.limit; ++it) add(it->second);
        return page;
    }
    // A pattern has to look at every name (cheap: no copies but the page's).
    for (const auto& [_, key] : bySize_) {
        if (!sockchat::chat::globMatch(query.pattern, key)) continue;
        if (page.total++ >= query.offset && page.rooms.size() < query.limit) add(key);
    }
    return page;
}

std::size_t LocalChatBackend::roomCount() const {
    std::shared_lock lock(directory_);
    return rooms_.size();
}

std::size_t LocalChatBackend::clientCount() const {
    std::shared_lock lock(directory_);
    return nicks_.size();
}

// The asynchronous interface, answered at once: the state is here.

void LocalChatBackend::join(const std::string& room, const std::string& nick, std::size_t worker,
                            Done<Joined> done) {
    done({"", joinNow(room, nick, worker)});
}

void LocalChatBackend::leave(const std::string& room, const std::string& nick, std::size_t worker,
                             const std::string& reason, Done<std::optional<Published>> done) {
    done({"", leaveNow(room, nick, worker, reason)});
}

void LocalChatBackend::publish(ChatEvent event, std::size_t /*worker*/,
                               Done<std::optional<Published>> done) {
    done({"", publishNow(std::move(event))});
}

void LocalChatBackend::sendPrivate(ChatEvent event, std::size_t /*worker*/,
                                   Done<std::optional<Recipient>> done) {
    done({"", sendPrivateNow(std::move(event))});
}

void LocalChatBackend::whois(const std::string& nick, std::size_t /*worker*/,
                             Done<std::optional<Whois>> done) {
    done({"", whoisNow(nick)});
}

void LocalChatBackend::who(const std::string& room, std::size_t /*worker*/,
                           Done<std::optional<Members>> done) {
    done({"", whoNow(room)});
}

void LocalChatBackend::rooms(const RoomQuery& query, std::size_t /*worker*/, Done<RoomPage> done) {
    done({"", roomsNow(query)});
}

std::optional<std::vector<ChatBackend::RoomStats>> LocalChatBackend::roomStats() const {
    std::shared_lock lock(directory_);
    std::vector<RoomStats> out;
    out.reserve(rooms_.size());
    // Biggest first (bySize_ is ordered so), as /rooms lists them.
    for (auto it = bySize_.begin(); it != bySize_.end(); ++it) {
        auto room = rooms_.find(it->second);
        if (room == rooms_.end()) continue;
        std::lock_guard roomLock(room->second.mutex);
        out.push_back({"#" + room->second.name, room->second.members.size(), room->second.messages,
                       room->second.history.size()});
    }
    return out;
}

LocalChatBackend::Contention LocalChatBackend::contention() const {
    auto read = [](const std::atomic<std::uint64_t>& counter) {
        return counter.load(std::memory_order_relaxed);
    };
    return {read(directoryContention_.waits), read(directoryContention_.waitNanoseconds),
            read(roomContention_.waits), read(roomContention_.waitNanoseconds)};
}

}  // namespace sockchatd
