#pragma once
// LocalChatBackend: the chat state of a single daemon, in this process's memory, shared by every
// worker. Thread-safe, and no daemon-wide lock on the message path:
// - `directory_`, a readers-writer lock, guards which rooms and nicks exist and who is where.
//   Joins, leaves, renames and new clients take it exclusively (and then own every room); a
//   message, a private message and the read-only queries take it shared, so messages on
//   different workers never wait for each other.
// - each room's own mutex guards what a message changes: its seq, topic and counters. A room
//   event gets its seq and is posted to every worker with members in the room *while the room is
//   locked* (or the directory exclusively), so each worker's FIFO task queue receives a room's
//   events in seq order: all members see one order, and history is that order. A room's history
//   is the room's too; only the daemon-wide count of its bytes is shared (an atomic).
// - over the history budget, the message that crossed it evicts, after its locks are released,
//   under the directory's exclusive lock: the oldest entries of the whole daemon go first, down to
//   7/8 of the budget, so that eviction's scan of the rooms is paid once per budget/8 bytes.
// Lock order: directory, then a room. Every callback runs before its call returns, after the
// locks are released.
#include <deque>
#include <map>
#include <set>
#include <unordered_map>

#include "chat_backend.h"
#include "hub_locks.h"

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

    // How often and how long threads waited for each kind of lock, since the start.
    struct Contention {
        std::uint64_t directoryWaits, directoryWaitNs, roomWaits, roomWaitNs;
    };
    Contention contention() const;

  private:
    struct HistoryEntry {
        SharedChatEvent event;  // shared with every joiner, never copied
        std::int64_t stamp;     // steady clock at arrival: the daemon's oldest entry goes first
        std::size_t bytes;      // what it costs against the budget
    };
    struct Room {
        explicit Room(LockContention& contention) : mutex(contention) {}
        // With the directory shared: seq, topic, messages. Everything else changes only under
        // the directory's exclusive lock.
        mutable CountedMutex mutex;
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

    // With the room locked, or the directory exclusively.
    std::uint64_t broadcastLocked(Room& room, ChatEvent event);
    // History bookkeeping, with the room locked (or the directory exclusively): every entry is
    // counted in historyBytes_.
    void pushHistory(Room& room, SharedChatEvent past);
    void popOldestHistory(Room& room);
    void dropHistory(Room& room);
    // With the directory exclusively: over the budget, drops the daemon's oldest entries.
    void enforceHistoryBudgetLocked();
    std::optional<Published> leaveLocked(const std::string& roomKey, const std::string& nick,
                                         std::size_t worker, const std::string& reason);

    mutable LockContention directoryContention_, roomContention_;
    mutable CountedSharedMutex directory_{directoryContention_};
    unsigned history_;  // changed with the directory exclusively
    std::atomic<std::size_t> historyBudget_;
    std::atomic<std::size_t> historyBytes_{0};
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
