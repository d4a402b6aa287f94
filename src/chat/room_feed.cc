#include "sockchat/chat/room_feed.h"

#include <algorithm>

namespace sockchat::chat {

RoomFeed::Step RoomFeed::offer(const std::string& epoch, std::uint64_t seq, std::string payload) {
    if (epoch != epoch_) {
        Step step;
        step.otherEpoch = true;
        return step;
    }
    if (seq > last_) waiting_.try_emplace(seq, std::move(payload));
    known_ = std::max(known_, seq);
    return release();
}

RoomFeed::Step RoomFeed::filled(Range asked, std::vector<Item> items) {
    if (repairing_ && *repairing_ == asked) repairing_.reset();
    for (auto& item : items)
        if (item.seq > last_ && item.seq >= asked.first && item.seq <= asked.last)
            waiting_.try_emplace(item.seq, std::move(item.payload));
    Step step;
    // What the Stream does not have of the range is gone: skip it rather than wait forever.
    while (last_ < asked.last) {
        auto it = waiting_.find(last_ + 1);
        ++last_;
        if (it == waiting_.end()) {
            ++lost_;
            continue;
        }
        step.ready.push_back({it->first, std::move(it->second)});
        waiting_.erase(it);
    }
    Step more = release();
    step.ready.insert(step.ready.end(), std::make_move_iterator(more.ready.begin()),
                      std::make_move_iterator(more.ready.end()));
    step.repair = more.repair;
    return step;
}

RoomFeed::Step RoomFeed::top(const std::string& epoch, std::uint64_t seq) {
    if (epoch != epoch_) {
        Step step;
        step.otherEpoch = true;
        return step;
    }
    known_ = std::max(known_, seq);
    return release();
}

void RoomFeed::restart(std::string epoch, std::uint64_t last) {
    epoch_ = std::move(epoch);
    last_ = last;
    waiting_.clear();
    repairing_.reset();
    known_ = last;
}

RoomFeed::Step RoomFeed::release() {
    Step step;
    while (!waiting_.empty() && waiting_.begin()->first <= last_ + 1) {
        auto node = waiting_.extract(waiting_.begin());
        if (node.key() <= last_) continue;  // a duplicate that raced a repair
        last_ = node.key();
        step.ready.push_back({node.key(), std::move(node.mapped())});
    }
    // A hole below something we have or know of: ask for it, once at a time.
    std::uint64_t next = waiting_.empty() ? known_ + 1 : waiting_.begin()->first;
    if (next > last_ + 1 && !repairing_) {
        repairing_ = Range{last_ + 1, next - 1};
        step.repair = repairing_;
    }
    return step;
}

}  // namespace sockchat::chat
