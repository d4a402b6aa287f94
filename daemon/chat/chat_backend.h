#pragma once
// ChatBackend: the daemon-wide chat state (nicks, rooms, room sequence numbers, history, topics,
// presence) as the chat service sees it. Two implementations: LocalChatBackend keeps it in this
// process's memory (one daemon); a cluster keeps it in Redis, shared by several daemons. The
// chat service does not know which one it runs on.
//
// Threading: every call is made on the loop thread of the worker it names (or that attached the
// endpoint), and every callback runs on that same thread, either before the call returns (the
// local backend) or later (a cluster waits for Redis). Callers must therefore not touch their
// own state after a call that takes a callback: whatever follows belongs in the callback.
//
// Order: room events reach a worker through ChatEndpoint::deliverRoomEvent in seq order per room.
// A join's callback reaches the joining worker before any event of that room with a seq at or
// after the join's own; the leaver's worker goes on getting the room's events up to and including
// its own leave.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "chat_event.h"
#include "sockchat/net/event_loop.h"

namespace sockchatd {

// The worker side of the backend. Called on that worker's loop thread.
class ChatEndpoint {
  public:
    virtual ~ChatEndpoint() = default;
    virtual void deliverRoomEvent(const SharedEvent& event) = 0;
    // `client` is the recipient's id from ChatBackend::addClient (stable across nick changes).
    virtual void deliverPrivate(std::uint64_t client, const ChatEvent& event) = 0;
    // A cluster's link went down (chat paused) or came back; `text` is for every client. Clients
    // that could not join their rooms meanwhile join them now.
    virtual void linkChanged(bool up, const std::string& text) = 0;
    // The backend had to give the client another nick (a cluster: its own was taken elsewhere
    // while the link was down); `why` is for the client.
    virtual void forceNick(std::uint64_t client, const std::string& nick,
                           const std::string& why) = 0;
};

// What an operation came to. `error` non-empty: the backend could not do it (a cluster whose
// link is down); the text is for the client. Otherwise `value` holds the answer.
template <class T>
struct ChatResult {
    std::string error;
    T value{};
    bool ok() const { return error.empty(); }
};

class ChatBackend {
  public:
    virtual ~ChatBackend() = default;

    // Setup, before any worker runs: returns the endpoint's worker index.
    virtual std::size_t attach(sockchat::net::EventLoop& loop, ChatEndpoint& endpoint) = 0;
    // Thread-safe (a reload).
    virtual void setHistory(unsigned history) = 0;
    // Thread-safe (a reload): the most bytes all rooms' history may take in this process
    // (chat.history_bytes). A backend whose history lives elsewhere (Redis) ignores it.
    virtual void setHistoryBudget(std::size_t /*bytes*/) {}

    struct Client {
        std::uint64_t id;
        std::string nick;  // a fresh unique guest nick ("guest-7")
    };
    // Registers a new client living on `worker`.
    virtual Client addClient(std::size_t worker) = 0;
    // The client is gone: it leaves its rooms (members told, with `reason`) and its nick is
    // free, in one step, so that whoever sees the leave can take the nick at once.
    virtual void removeClient(std::uint64_t client, const std::string& nick, std::size_t worker,
                              const std::string& reason) = 0;

    // A room event published by a client: the client waits for it to come back before it
    // handles its next line (PROTOCOL.md "Order"), so it knows which one to wait for.
    struct Published {
        std::uint64_t roomId;
        std::uint64_t seq;
    };
    template <class T>
    using Done = std::function<void(ChatResult<T>)>;

    enum class RenameResult { ok, taken };
    struct Renamed {
        RenameResult result = RenameResult::taken;
        std::vector<Published> published;  // one nick event per room the client is in
    };
    // Renames and tells every room the client is in. Case-only changes of one's own nick are
    // allowed.
    virtual void rename(const std::string& oldNick, const std::string& newNick, std::size_t worker,
                        Done<Renamed> done) = 0;

    struct Joined {
        std::string room;  // display name, as first created
        std::uint64_t roomId = 0;
        std::uint64_t seq = 0;                 // the join event's seq: earlier events are history
        std::vector<SharedChatEvent> history;  // messages and actions, oldest first
        ChatEvent topic;                       // type topic, seq 0; empty text: none
    };
    // Joins (creating the room) and tells its members, the joiner included.
    virtual void join(const std::string& room, const std::string& nick, std::size_t worker,
                      Done<Joined> done) = 0;
    // Leaves and tells the members, the leaver included. The value is the leave event, nullopt if
    // the client was not a member.
    virtual void leave(const std::string& room, const std::string& nick, std::size_t worker,
                       const std::string& reason, Done<std::optional<Published>> done) = 0;
    // A message, action or topic to `event.room`: seq assigned, kept in history (messages and
    // actions) or as the topic, sent to members. nullopt if the room does not exist.
    virtual void publish(ChatEvent event, std::size_t worker,
                         Done<std::optional<Published>> done) = 0;

    struct Recipient {
        std::string nick;  // display nick
        std::string away;  // away text, empty if not away
    };
    // Sends to event.to (not to the sender when it is the sender itself); nullopt if no such nick.
    virtual void sendPrivate(ChatEvent event, std::size_t worker,
                             Done<std::optional<Recipient>> done) = 0;
    virtual void setAway(const std::string& nick, std::string text, std::size_t worker) = 0;

    struct Whois {
        std::string nick;
        std::vector<std::string> rooms;  // display names
        std::string away;
    };
    virtual void whois(const std::string& nick, std::size_t worker,
                       Done<std::optional<Whois>> done) = 0;

    struct Members {
        std::string room;                // display name
        std::vector<std::string> names;  // display nicks
    };
    virtual void who(const std::string& room, std::size_t worker,
                     Done<std::optional<Members>> done) = 0;
    struct RoomInfo {
        std::string name;
        std::size_t members;
        std::string topic;
    };
    // /rooms is the classic amplifier (a few bytes in, every room out), so it is answered a page
    // at a time, and a page costs O(log rooms + limit) where the backend can manage it.
    struct RoomQuery {
        std::string pattern;  // globMatch() on the name; "" = every room
        std::size_t offset = 0;
        std::size_t limit = 1;
    };
    struct RoomPage {
        // At most `limit` rooms from `offset`: the local backend lists the biggest rooms first
        // (ties by name); a cluster in the order of its shared room set (PROTOCOL.md).
        std::vector<RoomInfo> rooms;
        std::size_t total = 0;  // rooms matching the pattern
    };
    virtual void rooms(const RoomQuery& query, std::size_t worker, Done<RoomPage> done) = 0;

    // Thread-safe snapshot of every room for the admin socket's `rooms`; nullopt where the
    // backend cannot tell without asking elsewhere (a cluster: not yet).
    struct RoomStats {
        std::string name;
        std::size_t members = 0;
        std::uint64_t messages = 0;  // messages and actions since the room was created
        std::size_t history = 0;     // entries a joiner gets now
    };
    virtual std::optional<std::vector<RoomStats>> roomStats() const { return std::nullopt; }

    // Thread-safe snapshots for status reports.
    virtual std::size_t roomCount() const = 0;
    virtual std::size_t clientCount() const = 0;
    // Thread-safe: the state of the link to shared state, for STATUS= and logs ("" = none).
    virtual std::string linkStatus() const { return ""; }
};

}  // namespace sockchatd
