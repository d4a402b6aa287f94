#pragma once
// RoomFeed: one room's events, as a daemon of a cluster receives them from Redis pub/sub, put back
// in seq order and made exactly-once. Pub/sub loses messages (a subscriber that reconnects or
// falls behind) and duplicates can arrive (a repair read racing the live message), so:
//  - an event at or below the last delivered seq is a duplicate and dropped;
//  - an event past a gap waits; the feed asks for the missing range once (the owner reads it from
//    the room's Stream and hands it to filled()); nothing after the gap is released first;
//  - a missing range the Stream no longer has is given up (counted as lost), never waited on
//    forever;
//  - an event of another epoch (the room's history was lost: Redis restarted empty, or a failover
//    to a replica that had not got it) is reported, so the owner can tell members and start over.
// Pure state, no I/O: the owner does the reading and the delivering.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sockchat::chat {

class RoomFeed {
  public:
    struct Item {
        std::uint64_t seq;
        std::string payload;
    };
    struct Range {  // inclusive
        std::uint64_t first;
        std::uint64_t last;
        friend bool operator==(const Range&, const Range&) = default;
    };
    struct Step {
        std::vector<Item> ready;      // deliver these, in this order
        std::optional<Range> repair;  // read this range from the Stream and call filled()
        bool otherEpoch = false;      // the event belongs to another epoch: nothing was taken
    };

    // `last`: the seq delivered up to (events at or below it are old).
    RoomFeed(std::string epoch, std::uint64_t last) : epoch_(std::move(epoch)), last_(last) {}

    Step offer(const std::string& epoch, std::uint64_t seq, std::string payload);
    // The Stream's answer for a repair: the entries it has in `asked` (any order, any subset).
    // Whatever of `asked` is still missing afterwards is lost.
    Step filled(Range asked, std::vector<Item> items);
    // The room's top seq, read now and then: a lost last message is noticed too.
    Step top(const std::string& epoch, std::uint64_t seq);
    // The repair read failed (the link is down): the next offer or top() asks again.
    void repairFailed() { repairing_.reset(); }
    // Starts over in another epoch, delivered up to `last`: nothing pending survives.
    void restart(std::string epoch, std::uint64_t last);

    const std::string& epoch() const { return epoch_; }
    std::uint64_t last() const { return last_; }
    bool repairing() const { return repairing_.has_value(); }
    std::uint64_t lost() const { return lost_; }

  private:
    Step release();

    std::string epoch_;
    std::uint64_t last_;
    std::map<std::uint64_t, std::string> waiting_;  // received past a gap
    std::optional<Range> repairing_;                // asked for, not answered yet
    std::uint64_t known_ = 0;                       // highest seq known to exist
    std::uint64_t lost_ = 0;
};

}  // namespace sockchat::chat
