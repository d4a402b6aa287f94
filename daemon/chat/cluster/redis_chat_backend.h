#pragma once
// RedisChatBackend: one chat across several daemons, kept in Redis (docs/ARCHITECTURE.md
// "Several daemons"). Its own thread runs an EventLoop with two Redis connections: commands
// (Lua scripts that give each room event its seq, append it to the room's Streams and PUBLISH it,
// atomically) and a subscriber (the rooms this daemon has members in, and this node's channel for
// private messages). Every daemon, the sender's included, delivers room events from the
// subscription only, through a RoomFeed per room that restores seq order, drops duplicates and
// repairs gaps from the Stream. Workers call in through post(); answers and events go back to
// each worker's loop by post(), in the order ChatBackend promises.
//
// While the link is down (either connection, or the node's nick claims could not be refreshed in
// time) every operation answers with an error, clients are told once, and echo is unaffected.
// When it is back: nicks are claimed again (a nick taken meanwhile becomes a fresh guest nick),
// memberships refreshed, every room's gaps repaired, and clients told chat is back.
#include <atomic>
#include <chrono>
#include <deque>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "../chat_backend.h"
#include "scripts.h"
#include "sockchat/chat/room_feed.h"
#include "sockchat/log/logger.h"
#include "sockchat/net/event_loop.h"
#include "sockchat/redis/connection.h"
#include "sockchat/redis/subscription_probe.h"

namespace sockchatd::cluster {

struct ClusterSettings {
    sockchat::redis::Target target;  // with sentinels: where Sentinel said the master was
    // Non-empty: ask these where the master `master` is before every (re)connect.
    std::vector<sockchat::redis::TcpTarget> sentinels;
    std::string master;
    std::string username;  // AUTH; never logged
    std::string password;
    std::string node;  // unique in the cluster
    std::string prefix = "sockchat:";
    std::chrono::milliseconds nickTtl{15000};
    std::string defaultRoom = "lobby";
    unsigned history = 20;
};

// Thread-safe counters for metrics and status.
struct ClusterStats {
    // Publish round trips (script sent to answer), a Prometheus histogram in milliseconds.
    static constexpr double kPublishBucketsMs[] = {0.25, 0.5, 1, 2, 5, 10, 25, 100, 1000};
    static constexpr std::size_t kBuckets = std::size(kPublishBucketsMs);
    std::atomic<std::uint64_t> publishBuckets[kBuckets + 1] = {};  // the last one is +Inf
    std::atomic<std::uint64_t> publishCount{0};
    std::atomic<std::uint64_t> publishMicros{0};
    void observePublish(std::chrono::steady_clock::duration took);

    std::atomic<bool> up{false};
    std::atomic<std::uint64_t> gapsRepaired{0};
    std::atomic<std::uint64_t> eventsLost{0};
    std::atomic<std::uint64_t> resyncs{0};
    std::atomic<std::uint64_t> nickConflicts{0};
    std::atomic<std::uint64_t> linkDowns{0};
};

class RedisChatBackend : public ChatBackend {
  public:
    RedisChatBackend(ClusterSettings settings, sockchat::log::Logger& logger);
    ~RedisChatBackend() override;

    // Called (on the cluster thread) when the daemon cannot go on: its node name is held by a
    // live daemon. Set before start().
    void setFatalHandler(std::function<void(const std::string&)> handler) {
        fatal_ = std::move(handler);
    }
    // After every worker attached: starts the cluster thread and connects.
    void start();
    // Releases this node's nicks and memberships while Redis is there to hear it (bounded).
    void stop(std::chrono::milliseconds patience);

    std::size_t attach(sockchat::net::EventLoop& loop, ChatEndpoint& endpoint) override;
    void setHistory(unsigned history) override;
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
    std::size_t roomCount() const override { return roomCount_.load(); }
    std::size_t clientCount() const override { return clientCount_.load(); }
    std::string linkStatus() const override;

    const ClusterStats& stats() const { return stats_; }

  private:
    struct Endpoint {
        sockchat::net::EventLoop* loop;
        ChatEndpoint* endpoint;
    };
    // A client of this daemon, as the cluster thread knows it.
    struct LocalClient {
        std::string nick;  // display
        std::size_t worker = 0;
        std::string away;
        std::map<std::string, std::string> rooms;  // folded -> display, joined (answered)
        bool claimed = false;                      // its nick is ours in Redis
    };
    // A room this daemon has members in (or is joining): its subscription and ordered feed.
    struct Room {
        std::string name;  // display
        std::uint64_t id = 0;
        bool known = false;  // epoch and seq known (a join or a top check answered)
        sockchat::chat::RoomFeed feed{"", 0};
        std::uint64_t base = 0;  // local seq = base + Redis seq: stays increasing across epochs
        std::vector<std::size_t> perWorker;
        unsigned joining = 0;  // joins in flight: events wait, so each join's answer comes first
        std::deque<std::string> held;  // messages received while joining
        // Leavers' workers keep getting events up to their leave: (worker, local seq).
        std::vector<std::pair<std::size_t, std::uint64_t>> leaving;
    };

    template <class T>
    void answer(std::size_t worker, Done<T> done, ChatResult<T> result);
    template <class T>
    void answerError(std::size_t worker, Done<T> done);
    // The rooms script for `keys` (none: the query's page of every room), answered to `done`;
    // `total` overrides the script's count (a pattern's matches, counted here).
    void roomDetails(const RoomQuery& query, std::vector<std::string> keys,
                     std::optional<std::size_t> total, std::size_t worker, Done<RoomPage> done);
    // Runs on the cluster thread.
    void run(std::function<void()> task) { loop_.post(std::move(task)); }

    // Script arguments shared by every script (scripts.h).
    std::vector<std::string> args(std::initializer_list<std::string> more) const;
    std::string owner(std::uint64_t client) const;
    std::uint64_t clientByNick(const std::string& nick) const;  // 0: none
    // The seq this daemon delivered up to in `room`, and the epoch it counts in, for the
    // scripts' rewind check (which only compares counters of one epoch).
    std::string floorOf(const Room& room) const;
    std::string floorEpochOf(const Room& room) const;
    std::string userRooms(const LocalClient& c) const;
    std::int64_t nowMs() const;

    // Link.
    void connectionUp();
    void connectionDown(const std::string& reason);
    void linkUp();
    void linkDown(const std::string& reason);
    void heartbeat();
    void checkTops();
    void claimAll();
    void reclaimFailed(std::uint64_t client);
    std::optional<sockchat::redis::Target> locateMaster();
    // A master demoted by a failover answers writes with READONLY: reconnect to the new one.
    void checkReadonly(const sockchat::redis::Reply& reply);

    // Rooms and delivery.
    Room& roomFor(const std::string& key, const std::string& display);
    void onRoomMessage(const std::string& key, const std::string& payload);
    void offer(const std::string& key, Room& room, const std::string& epoch, std::uint64_t seq,
               std::string wire);
    void apply(const std::string& key, Room& room, sockchat::chat::RoomFeed::Step step);
    void repair(const std::string& key, sockchat::chat::RoomFeed::Range range);
    void resync(const std::string& key, Room& room, const std::string& epoch);
    void deliver(Room& room, const std::string& wire, std::uint64_t localSeq);
    void deliverNotice(Room& room, const std::string& text);
    void forgetIfUnused(const std::string& key);
    // The local seq of a script's {seq, epoch} answer for `key` (0 if the room is not known).
    std::uint64_t localSeq(const std::string& key, std::uint64_t seq, const std::string& epoch);
    void onPrivateMessage(const std::string& payload);
    void tellAll(bool up, const std::string& text);
    void refillGuests();

    ClusterSettings settings_;
    sockchat::log::Logger& logger_;
    std::string instance_;  // random: tells this run's node claim from another's
    Scripts scripts_;
    std::vector<Endpoint> endpoints_;

    sockchat::net::EventLoop loop_;
    std::thread thread_;
    // Cluster thread only, from here on.
    std::unique_ptr<sockchat::redis::Connection> commands_;
    std::unique_ptr<sockchat::redis::Connection> subscriber_;
    std::unique_ptr<sockchat::redis::SubscriptionProbe> probe_;
    bool up_ = false;
    bool everUp_ = false;
    std::string downReason_ = "connecting";
    std::unordered_map<std::uint64_t, LocalClient> clients_;
    std::unordered_map<std::string, std::uint64_t> byNick_;  // folded nick -> client
    std::map<std::string, Room> rooms_;                      // folded name -> room
    std::uint64_t nextRoomId_ = 0;
    std::chrono::steady_clock::time_point lastRefresh_{};
    bool refillingGuests_ = false;
    std::optional<std::chrono::steady_clock::time_point> clashSince_;
    std::function<void(const std::string&)> fatal_;
    std::string lastLocated_;  // the master Sentinel named last, or why none did
    std::atomic<unsigned> history_;

    // Any thread.
    std::atomic<std::uint64_t> nextClient_{0};
    std::atomic<std::size_t> roomCount_{0};
    std::atomic<std::size_t> clientCount_{0};
    mutable std::mutex guestMutex_;
    std::deque<std::uint64_t> guests_;  // guest numbers reserved from P guests
    std::string linkStatus_;            // guarded by guestMutex_
    ClusterStats stats_;
};

}  // namespace sockchatd::cluster
