#pragma once
// ChatHub: the daemon-wide chat state (nicks, rooms, room sequence numbers and history), shared
// by every worker. Thread-safe, one mutex. A room event gets its seq and is posted to every
// worker with members in the room *while the lock is held*, so each worker's FIFO task queue
// receives room events in seq order: all members see one order, and history is that order.
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "chat_event.h"
#include "sockchat/net/event_loop.h"

namespace sockchatd {

// The worker side of the hub: called on that worker's loop thread.
class ChatEndpoint {
  public:
    virtual ~ChatEndpoint() = default;
    virtual void deliverRoomEvent(const std::string& room, const SharedEvent& event) = 0;
    virtual void deliverPrivate(const std::string& foldedNick, const ChatEvent& event) = 0;
};

class ChatHub {
  public:
    ChatHub(unsigned history, std::string defaultRoom);

    // Setup, before any worker runs: returns the endpoint's worker index.
    std::size_t attach(sockchat::net::EventLoop& loop, ChatEndpoint& endpoint);
    void setHistory(unsigned history);

    // A fresh unique guest nick ("guest-7"), registered to `worker`.
    std::string addGuest(std::size_t worker);
    enum class RenameResult { ok, taken };
    // Renames and tells `room` (nick event). Case-only changes of one's own nick are allowed.
    RenameResult rename(const std::string& oldNick, const std::string& newNick,
                        const std::string& room);
    void removeNick(const std::string& nick);

    // Joins (creating the room) and tells its members, the joiner included. Returns the room's
    // display name and its history (message/action events, oldest first).
    std::pair<std::string, std::vector<ChatEvent>> join(const std::string& room,
                                                        const std::string& nick,
                                                        std::size_t worker);
    void leave(const std::string& room, const std::string& nick, std::size_t worker,
               const std::string& reason);
    // A message or action to `event.room`: seq assigned, kept in history, sent to members.
    void publish(ChatEvent event);
    // Sends to event.to; returns the recipient's display nick, or nullopt if there is none.
    std::optional<std::string> sendPrivate(ChatEvent event);

    std::optional<std::pair<std::string, std::vector<std::string>>> who(
        const std::string& room) const;
    std::vector<std::pair<std::string, std::size_t>> rooms() const;
    std::size_t roomCount() const;
    std::size_t clientCount() const;

  private:
    struct Room {
        std::string name;  // display name, as first created
        std::uint64_t seq = 0;
        std::deque<ChatEvent> history;
        std::map<std::string, std::string> members;  // folded nick -> display nick
        std::vector<std::size_t> perWorker;          // member count per worker
    };
    struct Endpoint {
        sockchat::net::EventLoop* loop;
        ChatEndpoint* endpoint;
    };

    void broadcastLocked(Room& room, ChatEvent event);

    mutable std::mutex mutex_;
    unsigned history_;
    std::string defaultRoom_;
    std::vector<Endpoint> endpoints_;
    std::map<std::string, Room> rooms_;  // folded name -> room
    std::unordered_map<std::string, std::pair<std::string, std::size_t>>
        nicks_;  // folded -> display, worker
    std::uint64_t nextGuest_ = 0;
};

}  // namespace sockchatd
