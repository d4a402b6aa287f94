#pragma once
// ChatHub: the daemon-wide chat state (nicks, rooms, room sequence numbers and history), shared
// by every worker. Thread-safe, one mutex. A room event gets its seq and is posted to every
// worker with members in the room *while the lock is held*, so each worker's FIFO task queue
// receives a room's events in seq order: all members see one order, and history is that order.
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "chat_event.h"
#include "sockchat/net/event_loop.h"

namespace sockchatd {

// The worker side of the hub. Called on that worker's loop thread, through post().
class ChatEndpoint {
  public:
    virtual ~ChatEndpoint() = default;
    virtual void deliverRoomEvent(const SharedEvent& event) = 0;
    // `client` is the recipient's id from ChatHub::addClient (stable across nick changes).
    virtual void deliverPrivate(std::uint64_t client, const ChatEvent& event) = 0;
};

class ChatHub {
  public:
    ChatHub(unsigned history, std::string defaultRoom);

    // Setup, before any worker runs: returns the endpoint's worker index.
    std::size_t attach(sockchat::net::EventLoop& loop, ChatEndpoint& endpoint);
    void setHistory(unsigned history);

    struct Client {
        std::uint64_t id;
        std::string nick;  // a fresh unique guest nick ("guest-7")
    };
    // Registers a new client living on `worker`.
    Client addClient(std::size_t worker);
    // The client is gone: it leaves its rooms (members told, with `reason`) and its nick is
    // free, in one step, so that whoever sees the leave can take the nick at once.
    void removeClient(const std::string& nick, std::size_t worker, const std::string& reason);

    // A room event published by a client: the client waits for it to come back before it
    // handles its next line (PROTOCOL.md "Order"), so it knows which one to wait for.
    struct Published {
        std::uint64_t roomId;
        std::uint64_t seq;
    };

    enum class RenameResult { ok, taken };
    // Renames and tells every room the client is in (one nick event each, returned in
    // `published`). Case-only changes of one's own nick are allowed.
    RenameResult rename(const std::string& oldNick, const std::string& newNick,
                        std::vector<Published>* published);

    struct Joined {
        std::string room;  // display name, as first created
        std::uint64_t roomId;
        std::uint64_t seq;               // the join event's seq: earlier events are history
        std::vector<ChatEvent> history;  // messages and actions, oldest first
        ChatEvent topic;                 // type topic, seq 0; empty text: none
    };
    // Joins (creating the room) and tells its members, the joiner included.
    Joined join(const std::string& room, const std::string& nick, std::size_t worker);
    // Leaves and tells the members, the leaver included (its worker gets the event even when
    // it was the worker's last member). Returns the leave event, nullopt if not a member.
    std::optional<Published> leave(const std::string& room, const std::string& nick,
                                   std::size_t worker, const std::string& reason);
    // A message, action or topic to `event.room`: seq assigned, kept in history (messages and
    // actions) or as the topic, sent to members. nullopt if the room does not exist.
    std::optional<Published> publish(ChatEvent event);

    struct Recipient {
        std::string nick;  // display nick
        std::string away;  // away text, empty if not away
    };
    // Sends to event.to (not to the sender when it is the sender itself); nullopt if no such nick.
    std::optional<Recipient> sendPrivate(ChatEvent event);
    void setAway(const std::string& nick, std::string text);

    struct Whois {
        std::string nick;
        std::vector<std::string> rooms;  // display names
        std::string away;
    };
    std::optional<Whois> whois(const std::string& nick) const;

    std::optional<std::pair<std::string, std::vector<std::string>>> who(
        const std::string& room) const;
    struct RoomInfo {
        std::string name;
        std::size_t members;
        std::string topic;
    };
    std::vector<RoomInfo> rooms() const;
    // Thread-safe snapshots for status reports.
    std::size_t roomCount() const;
    std::size_t clientCount() const;

  private:
    struct Room {
        std::uint64_t id = 0;
        std::string name;  // display name, as first created
        std::uint64_t seq = 0;
        std::deque<ChatEvent> history;
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

    std::uint64_t broadcastLocked(Room& room, ChatEvent event);
    std::optional<Published> leaveLocked(const std::string& roomKey, const std::string& nick,
                                         std::size_t worker, const std::string& reason);

    mutable std::mutex mutex_;
    unsigned history_;
    std::string defaultRoom_;
    std::vector<Endpoint> endpoints_;
    std::map<std::string, Room> rooms_;            // folded name -> room
    std::unordered_map<std::string, Nick> nicks_;  // folded nick -> owner
    std::uint64_t nextGuest_ = 0;
    std::uint64_t nextClient_ = 0;
    std::uint64_t nextRoomId_ = 0;
};

}  // namespace sockchatd
