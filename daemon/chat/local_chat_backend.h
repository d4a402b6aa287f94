#pragma once
// LocalChatBackend: the chat state of a single daemon, in this process's memory, shared by every
// worker. Thread-safe, one mutex. A room event gets its seq and is posted to every worker with
// members in the room *while the lock is held*, so each worker's FIFO task queue receives a room's
// events in seq order: all members see one order, and history is that order. Every callback runs
// before its call returns.
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include "chat_backend.h"

namespace sockchatd {

class LocalChatBackend : public ChatBackend {
  public:
    LocalChatBackend(unsigned history, std::size_t historyBudget, std::string defaultRoom);

    std::size_t attach(sockchat::net::EventLoop& loop, ChatEndpoint& endpoint) override;
    void setHistory(unsigned history) override;
    void setHistoryBudget(std::size_t bytes) override;
    // What all rooms' history takes now, by the same count as the budget (tests, metrics).
    std::size_t historyBytes() const;
    Client addClient(std::size_t worker) override;
    void removeClient(std::uint64_t client, const std::string& nick, std::size_t worker,
                      const std::string& reason) override;
    void rename(const std::string& oldNick, const std::string& newNick, std::size_t worker,
                Done<Renamed> done) override;
    void join(const std::string& room, const std::string& nick, std::size_t worker,
              Done<Joined> done) override;
    void leave(const std::string& room, const std::string& nick, std::size_t worker,
               const std::string& reason, Done<std::optional<Published>> done) override;
    void publish(ChatEvent event, std::size_t worker, Done<std::optional<Published>> done) override;
    void sendPrivate(ChatEvent event, std::size_t worker,
                     Done<std::optional<Recipient>> done) override;
    void setAway(const std::string& nick, std::string text, std::size_t worker) override;
    void whois(const std::string& nick, std::size_t worker,
               Done<std::optional<Whois>> done) override;
    void who(const std::string& room, std::size_t worker,
             Done<std::optional<Members>> done) override;
    void rooms(const RoomQuery& query, std::size_t worker, Done<RoomPage> done) override;
    std::size_t roomCount() const override;
    std::optional<std::vector<RoomStats>> roomStats() const override;
    std::size_t clientCount() const override;

  private:
    struct HistoryEntry {
        SharedChatEvent event;  // shared with every joiner, never copied
        std::uint64_t stamp;    // daemon-wide order of arrival: the oldest entry goes first
        std::size_t bytes;      // what it costs against the budget
    };
    struct Room {
        std::uint64_t id = 0;
        std::string name;  // display name, as first created
        std::uint64_t seq = 0;
        std::uint64_t messages = 0;  // messages and actions, for the admin socket
        std::deque<HistoryEntry> history;
        ChatEvent topic;                             // type topic; text empty: none
        std::map<std::string, std::string> members;  // folded nick -> display nick
        std::vector<std::size_t> perWorker;          // member count per worker
    };
    struct Endpoint {
        sockchat::net::EventLoop* loop;
        ChatEndpoint* endpoint;
    };
    struct Nick {
        std::string display;
        std::size_t worker;
        std::uint64_t client;
        std::set<std::string> rooms;  // folded names of the rooms it is in
        std::string away;
    };

    // The operations themselves, each under the lock.
    Renamed renameNow(const std::string& oldNick, const std::string& newNick);
    Joined joinNow(const std::string& room, const std::string& nick, std::size_t worker);
    std::optional<Published> leaveNow(const std::string& room, const std::string& nick,
                                      std::size_t worker, const std::string& reason);
    std::optional<Published> publishNow(ChatEvent event);
    std::optional<Recipient> sendPrivateNow(ChatEvent event);
    std::optional<Whois> whoisNow(const std::string& nick) const;
    std::optional<Members> whoNow(const std::string& room) const;
    RoomPage roomsNow(const RoomQuery& query) const;
    // Keeps bySize_ in step with a room's member count (`before` == SIZE_MAX: a new room,
    // `after` == SIZE_MAX: a removed one).
    void resizedLocked(const std::string& key, std::size_t before, std::size_t after);

    std::uint64_t broadcastLocked(Room& room, ChatEvent event);
    // History bookkeeping, under the lock: every entry is counted in historyBytes_, and each room
    // with history is in oldestFirst_ by its oldest entry, so that over the budget the oldest
    // entry of the whole daemon goes, whichever room it is in.
    void pushHistory(Room& room, SharedChatEvent past);
    void popOldestHistory(Room& room);
    void dropHistory(Room& room);
    void enforceHistoryBudget();
    std::optional<Published> leaveLocked(const std::string& roomKey, const std::string& nick,
                                         std::size_t worker, const std::string& reason);

    mutable std::mutex mutex_;
    unsigned history_;
    std::size_t historyBudget_;
    std::size_t historyBytes_ = 0;
    std::uint64_t historyStamp_ = 0;
    std::set<std::pair<std::uint64_t, Room*>> oldestFirst_;  // (oldest entry's stamp, room)
    std::string defaultRoom_;
    std::vector<Endpoint> endpoints_;
    std::map<std::string, Room> rooms_;  // folded name -> room
    // (member count, folded name), biggest first: a /rooms page without a pattern walks only
    // as far as its own end instead of sorting every room.
    struct BiggestFirst {
        bool operator()(const std::pair<std::size_t, std::string>& a,
                        const std::pair<std::size_t, std::string>& b) const {
            return a.first != b.first ? a.first > b.first : a.second < b.second;
        }
    };
    std::set<std::pair<std::size_t, std::string>, BiggestFirst> bySize_;
    std::unordered_map<std::string, Nick> nicks_;  // folded nick -> owner
    std::uint64_t nextGuest_ = 0;
    std::uint64_t nextClient_ = 0;
    std::uint64_t nextRoomId_ = 0;
};

}  // namespace sockchatd
