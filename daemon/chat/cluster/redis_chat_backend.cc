#include "redis_chat_backend.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <future>
#include <random>

#include "sockchat/chat/names.h"
#include "sockchat/chat/wire.h"
#include "sockchat/redis/sentinel.h"

namespace sockchatd::cluster {

using sockchat::chat::foldCase;
using sockchat::redis::Reply;

namespace {

const std::string kPaused = "chat is paused: the cluster link is down";

// Epochs sort by creation time (fixed-width hex milliseconds, then random bits), so a late event
// of an older epoch is told from a newer one and never starts a resync backwards.
std::string newEpoch() {
    static thread_local std::mt19937_64 random{std::random_device{}()};
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%012" PRIx64 "%08" PRIx64, static_cast<std::uint64_t>(ms),
                  random() & 0xffffffffu);
    return buffer;
}

std::uint64_t toSeq(const Reply& r) {
    if (r.isInteger()) return static_cast<std::uint64_t>(std::max<std::int64_t>(0, r.integer()));
    if (r.isString()) return std::strtoull(r.str().c_str(), nullptr, 10);
    return 0;
}

// "<epoch> <seq> <wire>" as the publish script sends it.
bool splitPublished(const std::string& payload, std::string& epoch, std::uint64_t& seq,
                    std::string& wire) {
    auto a = payload.find(' ');
    if (a == std::string::npos) return false;
    auto b = payload.find(' ', a + 1);
    if (b == std::string::npos) return false;
    epoch = payload.substr(0, a);
    seq = std::strtoull(payload.c_str() + a + 1, nullptr, 10);
    wire = payload.substr(b + 1);
    return seq > 0;
}

// A Stream entry [id, [field, value, ...]] with id "<seq>-1": its seq and its "e" field.
bool streamEntry(const Reply& entry, std::uint64_t& seq, std::string& wire) {
    if (!entry.isArray() || entry.elements().size() != 2) return false;
    seq = std::strtoull(entry.elements()[0].str().c_str(), nullptr, 10);
    const auto& fields = entry.elements()[1].elements();
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2)
        if (fields[i].str() == "e") {
            wire = fields[i + 1].str();
            return seq > 0;
        }
    return false;
}

std::string errorText(const Reply& reply) {
    return reply.isError() ? reply.str() : "unexpected reply " + reply.describe();
}

}  // namespace

void ClusterStats::observePublish(std::chrono::steady_clock::duration took) {
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(took).count();
    std::size_t bucket = 0;
    while (bucket < kBuckets && micros > kPublishBucketsMs[bucket] * 1000) ++bucket;
    ++publishBuckets[bucket];
    ++publishCount;
    publishMicros += static_cast<std::uint64_t>(micros);
}

RedisChatBackend::RedisChatBackend(ClusterSettings settings, sockchat::log::Logger& logger)
    : settings_(std::move(settings)),
      logger_(logger),
      instance_(newEpoch()),
      history_(settings_.history) {
    linkStatus_ = "cluster: connecting";
}

RedisChatBackend::~RedisChatBackend() {
    stop(std::chrono::milliseconds(0));
}

std::size_t RedisChatBackend::attach(sockchat::net::EventLoop& loop, ChatEndpoint& endpoint) {
    endpoints_.push_back({&loop, &endpoint});
    return endpoints_.size() - 1;
}

void RedisChatBackend::start() {
    thread_ = std::thread([this] { loop_.run(); });
    run([this] {
        using sockchat::redis::Connection;
        Connection::Options options;
        options.target = settings_.target;
        options.username = settings_.username;
        options.password = settings_.password;
        options.name = "sockchatd:" + settings_.node;
        options.role = Connection::Role::kCommands;
        if (!settings_.sentinels.empty()) options.locate = [this] { return locateMaster(); };
        commands_ = std::make_unique<Connection>(loop_, options);
        options.role = Connection::Role::kSubscriber;
        subscriber_ = std::make_unique<Connection>(loop_, options);
        for (auto* c : {commands_.get(), subscriber_.get()}) {
            c->setUpCallback([this] { connectionUp(); });
            c->setDownCallback([this](const std::string& reason) { connectionDown(reason); });
        }
        subscriber_->subscribe(
            settings_.prefix + "node:" + settings_.node,
            [this](const std::string&, const std::string& payload) { onPrivateMessage(payload); });
        probe_ = std::make_unique<sockchat::redis::SubscriptionProbe>(
            loop_, *commands_, *subscriber_,
            sockchat::redis::SubscriptionProbe::Options{
                settings_.prefix + "probe:" + settings_.node, std::chrono::milliseconds(1000),
                std::chrono::milliseconds(1000)});
        commands_->start();
        subscriber_->start();
        loop_.runEvery(settings_.nickTtl / 3, [this] { heartbeat(); });
        loop_.runEvery(std::chrono::seconds(1), [this] { checkTops(); });
    });
}

void RedisChatBackend::stop(std::chrono::milliseconds patience) {
    if (!thread_.joinable()) return;
    // The quits of the last clients are queued on the command connection: let Redis hear them,
    // so their nicks are free at once rather than after nick_ttl.
    auto drained = std::make_shared<std::promise<void>>();
    auto done = drained->get_future();
    run([this, drained] {
        if (!up_ || !commands_) return drained->set_value();
        commands_->command({"PING"}, [drained](Reply) { drained->set_value(); });
    });
    done.wait_for(patience);
    run([this] {
        probe_.reset();
        subscriber_.reset();
        commands_.reset();
        loop_.quit();
    });
    thread_.join();
}

std::string RedisChatBackend::linkStatus() const {
    std::lock_guard lock(guestMutex_);
    return linkStatus_;
}

template <class T>
void RedisChatBackend::answer(std::size_t worker, Done<T> done, ChatResult<T> result) {
    endpoints_.at(worker).loop->post(
        [done = std::move(done), result = std::move(result)]() mutable {
            done(std::move(result));
        });
}

template <class T>
void RedisChatBackend::answerError(std::size_t worker, Done<T> done) {
    ChatResult<T> result;
    result.error = kPaused;
    answer(worker, std::move(done), std::move(result));
}

std::vector<std::string> RedisChatBackend::args(std::initializer_list<std::string> more) const {
    auto roomTtl = std::max<std::int64_t>(settings_.nickTtl.count() * 4, 60000);
    std::vector<std::string> out{settings_.prefix, std::to_string(settings_.nickTtl.count()),
                                 std::to_string(roomTtl), newEpoch(),
                                 std::to_string(history_.load())};
    out.insert(out.end(), more.begin(), more.end());
    return out;
}

std::string RedisChatBackend::owner(std::uint64_t client) const {
    return settings_.node + ":" + std::to_string(client);
}

std::string RedisChatBackend::userRooms(const LocalClient& c) const {
    std::string out;
    for (const auto& [_, name] : c.rooms) out += (out.empty() ? "" : "\n") + name;
    return out;
}

std::string RedisChatBackend::floorOf(const Room& room) const {
    return std::to_string(room.known ? room.feed.last() : 0);
}

std::string RedisChatBackend::floorEpochOf(const Room& room) const {
    return room.known ? room.feed.epoch() : "";
}

std::uint64_t RedisChatBackend::clientByNick(const std::string& nick) const {
    auto it = byNick_.find(foldCase(nick));
    return it == byNick_.end() ? 0 : it->second;
}

std::int64_t RedisChatBackend::nowMs() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void RedisChatBackend::setHistory(unsigned history) {
    history_ = history;
}

// --- Clients and nicks -------------------------------------------------------------------------

ChatBackend::Client RedisChatBackend::addClient(std::size_t worker) {
    std::uint64_t id = ++nextClient_;
    std::string nick;
    {
        std::lock_guard lock(guestMutex_);
        if (!guests_.empty()) {
            nick = "guest-" + std::to_string(guests_.front());
            guests_.pop_front();
        }
    }
    if (nick.empty()) {
        // No block of numbers yet (the link is not up): a random one, claimed like any other.
        static thread_local std::mt19937 random{std::random_device{}()};
        nick = "guest-" + std::to_string(100000 + random() % 900000);
    }
    ++clientCount_;
    run([this, id, nick, worker] {
        clients_[id] = LocalClient{nick, worker, "", {}, false};
        byNick_[foldCase(nick)] = id;
        if (!up_) return;
        scripts_.claim.run(*commands_, {}, args({foldCase(nick), nick, owner(id), "", ""}),
                           [this, id](Reply reply) {
                               auto it = clients_.find(id);
                               if (it == clients_.end()) return;
                               if (reply.isInteger() && reply.integer() == 1)
                                   it->second.claimed = true;
                               else if (reply.isInteger())
                                   reclaimFailed(id);
                           });
        refillGuests();
    });
    return {id, nick};
}

void RedisChatBackend::refillGuests() {
    {
        std::lock_guard lock(guestMutex_);
        if (guests_.size() >= 32 || refillingGuests_) return;
        refillingGuests_ = true;
    }
    std::string key = settings_.prefix + "guests";
    commands_->command({"INCRBY", key, "64"}, [this](Reply reply) {
        std::lock_guard lock(guestMutex_);
        refillingGuests_ = false;
        if (!reply.isInteger()) return;
        for (std::int64_t n = reply.integer() - 63; n <= reply.integer(); ++n)
            guests_.push_back(static_cast<std::uint64_t>(n));
    });
    commands_->command({"PEXPIRE", key, "86400000"}, [](Reply) {});
}

void RedisChatBackend::removeClient(std::uint64_t client, const std::string& nick,
                                    std::size_t worker, const std::string& reason) {
    --clientCount_;
    run([this, client, nick, worker, reason] {
        auto it = clients_.find(client);
        if (it == clients_.end()) return;
        std::vector<std::string> keys;
        for (const auto& [key, _] : it->second.rooms) {
            keys.push_back(key);
            if (auto room = rooms_.find(key); room != rooms_.end()) {
                auto& count = room->second.perWorker.at(worker);
                if (count > 0) --count;
                forgetIfUnused(key);
            }
        }
        byNick_.erase(foldCase(it->second.nick));
        clients_.erase(it);
        // While down, its nick and memberships expire after nick_ttl, and another daemon's
        // heartbeat tells its rooms.
        if (!up_) return;
        ChatEvent e;
        e.type = ChatEvent::Type::leave;
        e.nick = nick;
        e.text = reason;
        auto argv = args({foldCase(nick), owner(client), sockchat::chat::encodeWireEvent(e)});
        argv.insert(argv.end(), keys.begin(), keys.end());
        scripts_.quit.run(*commands_, {}, std::move(argv), [](Reply) {});
    });
}

void RedisChatBackend::rename(const std::string& oldNick, const std::string& newNick,
                              std::size_t worker, Done<Renamed> done) {
    run([this, oldNick, newNick, worker, done = std::move(done)]() mutable {
        if (!up_) return answerError(worker, std::move(done));
        std::uint64_t id = clientByNick(oldNick);
        auto it = clients_.find(id);
        if (it == clients_.end()) return answer(worker, std::move(done), ChatResult<Renamed>{});
        ChatEvent e;
        e.type = ChatEvent::Type::nick;
        e.from = oldNick;
        e.nick = newNick;
        ChatEvent joined;  // if the old nick is someone else's by now
        joined.type = ChatEvent::Type::join;
        joined.nick = newNick;
        auto argv =
            args({foldCase(oldNick), foldCase(newNick), newNick, owner(id),
                  sockchat::chat::encodeWireEvent(e), sockchat::chat::encodeWireEvent(joined),
                  std::to_string(nowMs() + settings_.nickTtl.count())});
        for (const auto& [key, _] : it->second.rooms) argv.push_back(key);
        scripts_.rename.run(
            *commands_, {}, std::move(argv),
            [this, id, newNick, worker, done = std::move(done)](Reply reply) mutable {
                ChatResult<Renamed> result;
                if (reply.isError()) return answerError(worker, std::move(done));
                if (reply.isNil()) return answer(worker, std::move(done), std::move(result));
                result.value.result = RenameResult::ok;
                for (const auto& entry : reply.elements()) {
                    if (entry.elements().size() != 3) continue;
                    const std::string& key = entry.elements()[0].str();
                    std::uint64_t local =
                        localSeq(key, toSeq(entry.elements()[1]), entry.elements()[2].str());
                    if (auto room = rooms_.find(key); room != rooms_.end() && local)
                        result.value.published.push_back({room->second.id, local});
                }
                if (auto it = clients_.find(id); it != clients_.end()) {
                    byNick_.erase(foldCase(it->second.nick));
                    it->second.nick = newNick;
                    byNick_[foldCase(newNick)] = id;
                }
                answer(worker, std::move(done), std::move(result));
            });
    });
}

void RedisChatBackend::setAway(const std::string& nick, std::string text, std::size_t) {
    run([this, nick, text = std::move(text)] {
        if (auto it = clients_.find(clientByNick(nick)); it != clients_.end())
            it->second.away = text;
        if (!up_) return;
        std::string key = settings_.prefix + "user:" + foldCase(nick);
        commands_->command({"HSET", key, "away", text}, [](Reply) {});
    });
}

void RedisChatBackend::reclaimFailed(std::uint64_t client) {
    auto it = clients_.find(client);
    if (it == clients_.end() || !up_) return;
    ++stats_.nickConflicts;
    std::string oldNick = it->second.nick;
    std::string guest;
    {
        std::lock_guard lock(guestMutex_);
        if (!guests_.empty()) {
            guest = "guest-" + std::to_string(guests_.front());
            guests_.pop_front();
        }
    }
    if (guest.empty()) guest = "guest-" + std::to_string(100000 + client % 900000);
    logger_.warn("cluster", "nick taken elsewhere while the link was down: a guest nick instead",
                 {{"nick", oldNick}, {"to", guest}});
    std::size_t worker = it->second.worker;
    rename(oldNick, guest, worker, [](ChatResult<Renamed>) {});
    run([this, client, guest, oldNick] {
        auto it = clients_.find(client);
        if (it == clients_.end()) return;
        it->second.claimed = true;
        Endpoint target = endpoints_.at(it->second.worker);
        target.loop->post([target, client, guest, oldNick] {
            target.endpoint->forceNick(client, guest,
                                       "your nick " + oldNick +
                                           " was taken while the cluster link was down; you are "
                                           "now " +
                                           guest);
        });
    });
}

// --- Rooms --------------------------------------------------------------------------------------

RedisChatBackend::Room& RedisChatBackend::roomFor(const std::string& key,
                                                  const std::string& display) {
    auto [it, created] = rooms_.try_emplace(key);
    Room& room = it->second;
    if (created) {
        room.name = display;
        room.id = ++nextRoomId_;
        room.perWorker.resize(endpoints_.size());
        subscriber_->subscribe(settings_.prefix + "room:" + key,
                               [this, key](const std::string&, const std::string& payload) {
                                   onRoomMessage(key, payload);
                               });
        roomCount_ = rooms_.size();
    }
    return room;
}

void RedisChatBackend::forgetIfUnused(const std::string& key) {
    auto it = rooms_.find(key);
    if (it == rooms_.end()) return;
    Room& room = it->second;
    for (auto count : room.perWorker)
        if (count) return;
    if (room.joining || !room.leaving.empty()) return;
    if (subscriber_) subscriber_->unsubscribe(settings_.prefix + "room:" + key);
    rooms_.erase(it);
    roomCount_ = rooms_.size();
}

void RedisChatBackend::join(const std::string& roomName, const std::string& nick,
                            std::size_t worker, Done<Joined> done) {
    run([this, roomName, nick, worker, done = std::move(done)]() mutable {
        if (!up_) return answerError(worker, std::move(done));
        std::string key = foldCase(roomName);
        std::uint64_t id = clientByNick(nick);
        auto client = clients_.find(id);
        if (client == clients_.end()) return answerError(worker, std::move(done));
        Room& room = roomFor(key, roomName);
        ++room.joining;
        LocalClient future = client->second;
        future.rooms[key] = room.name;
        ChatEvent e;
        e.type = ChatEvent::Type::join;
        e.nick = nick;
        std::string expiry = std::to_string(nowMs() + settings_.nickTtl.count());
        scripts_.join.run(
            *commands_, {},
            args({key, roomName, foldCase(nick), nick, expiry, sockchat::chat::encodeWireEvent(e),
                  userRooms(future), floorOf(room), floorEpochOf(room)}),
            [this, key, id, worker, done = std::move(done)](Reply reply) mutable {
                Room& room = rooms_.at(key);  // kept while joining
                --room.joining;
                checkReadonly(reply);
                const auto& f = reply.elements();
                if (!reply.isArray() || f.size() != 5) {
                    logger_.warn("cluster", "join failed", {{"reason", errorText(reply)}});
                    answerError(worker, std::move(done));
                } else {
                    std::uint64_t seq = toSeq(f[0]);
                    const std::string& epoch = f[1].str();
                    if (!room.known) {
                        room.known = true;
                        room.name = f[2].str();
                        room.feed.restart(epoch, seq - 1);  // earlier events are history
                    }
                    std::uint64_t local = localSeq(key, seq, epoch);
                    ++room.perWorker.at(worker);
                    if (auto c = clients_.find(id); c != clients_.end())
                        c->second.rooms[key] = room.name;
                    ChatResult<Joined> result;
                    result.value.room = room.name;
                    result.value.roomId = room.id;
                    result.value.seq = local;
                    result.value.topic.type = ChatEvent::Type::topic;
                    result.value.topic.room = room.name;
                    result.value.topic.seq = 0;
                    if (auto topic = sockchat::chat::decodeWireEvent(f[3].str()))
                        result.value.topic.text = topic->text;
                    for (const auto& entry : f[4].elements()) {
                        std::uint64_t s = 0;
                        std::string wire;
                        if (!streamEntry(entry, s, wire) || s >= seq) continue;
                        auto past = sockchat::chat::decodeWireEvent(wire);
                        if (!past) continue;
                        past->action = past->type == ChatEvent::Type::action;
                        past->type = ChatEvent::Type::history;
                        past->room = room.name;
                        past->seq = room.base + s;
                        result.value.history.push_back(
                            std::make_shared<const ChatEvent>(std::move(*past)));
                    }
                    answer(worker, std::move(done), std::move(result));
                }
                if (room.joining == 0) {
                    // What arrived meanwhile, now that every join's answer is on its way first.
                    auto held = std::move(room.held);
                    room.held.clear();
                    for (auto& payload : held) onRoomMessage(key, payload);
                }
                forgetIfUnused(key);
            });
    });
}

void RedisChatBackend::leave(const std::string& roomName, const std::string& nick,
                             std::size_t worker, const std::string& reason,
                             Done<std::optional<Published>> done) {
    run([this, roomName, nick, worker, reason, done = std::move(done)]() mutable {
        if (!up_) return answerError(worker, std::move(done));
        std::string key = foldCase(roomName);
        std::uint64_t id = clientByNick(nick);
        auto client = clients_.find(id);
        auto room = rooms_.find(key);
        if (client == clients_.end() || room == rooms_.end())
            return answer(worker, std::move(done), ChatResult<std::optional<Published>>{});
        LocalClient future = client->second;
        future.rooms.erase(key);
        ChatEvent e;
        e.type = ChatEvent::Type::leave;
        e.nick = nick;
        e.text = reason;
        scripts_.leave.run(
            *commands_, {},
            args({key, room->second.name, foldCase(nick), sockchat::chat::encodeWireEvent(e),
                  userRooms(future), floorOf(room->second), floorEpochOf(room->second)}),
            [this, key, id, worker, done = std::move(done)](Reply reply) mutable {
                if (reply.isError()) return answerError(worker, std::move(done));
                auto room = rooms_.find(key);
                if (auto c = clients_.find(id); c != clients_.end()) c->second.rooms.erase(key);
                ChatResult<std::optional<Published>> result;
                if (room == rooms_.end()) return answer(worker, std::move(done), result);
                Room& r = room->second;
                std::uint64_t local =
                    reply.isArray() && reply.elements().size() == 2
                        ? localSeq(key, toSeq(reply.elements()[0]), reply.elements()[1].str())
                        : 0;
                if (local == 0 || r.base + r.feed.last() >= local) {
                    auto& count = r.perWorker.at(worker);
                    if (count > 0) --count;
                } else {
                    r.leaving.emplace_back(worker, local);
                }
                if (local) result.value = Published{r.id, local};
                answer(worker, std::move(done), std::move(result));
                forgetIfUnused(key);
            });
    });
}

void RedisChatBackend::publish(ChatEvent event, std::size_t worker,
                               Done<std::optional<Published>> done) {
    run([this, event = std::move(event), worker, done = std::move(done)]() mutable {
        if (!up_) return answerError(worker, std::move(done));
        std::string key = foldCase(event.room);
        auto room = rooms_.find(key);
        if (room == rooms_.end())
            return answer(worker, std::move(done), ChatResult<std::optional<Published>>{});
        const char* kind =
            event.type == ChatEvent::Type::topic ? "topic"
            : event.type == ChatEvent::Type::message || event.type == ChatEvent::Type::action
                ? "message"
                : "other";
        event.time = std::chrono::system_clock::now();
        auto sent = std::chrono::steady_clock::now();
        scripts_.publish.run(
            *commands_, {},
            args({key, room->second.name, sockchat::chat::encodeWireEvent(event), kind,
                  floorOf(room->second), floorEpochOf(room->second)}),
            [this, key, worker, sent, done = std::move(done)](Reply reply) mutable {
                stats_.observePublish(std::chrono::steady_clock::now() - sent);
                checkReadonly(reply);
                if (!reply.isArray() || reply.elements().size() != 2)
                    return answerError(worker, std::move(done));
                ChatResult<std::optional<Published>> result;
                std::uint64_t local =
                    localSeq(key, toSeq(reply.elements()[0]), reply.elements()[1].str());
                if (auto room = rooms_.find(key); room != rooms_.end() && local)
                    result.value = Published{room->second.id, local};
                answer(worker, std::move(done), std::move(result));
            });
    });
}

std::uint64_t RedisChatBackend::localSeq(const std::string& key, std::uint64_t seq,
                                         const std::string& epoch) {
    auto it = rooms_.find(key);
    if (it == rooms_.end() || !it->second.known) return 0;
    Room& room = it->second;
    if (epoch != room.feed.epoch()) {
        if (epoch < room.feed.epoch()) return 0;  // an older epoch: gone
        resync(key, room, epoch);
    }
    return room.base + seq;
}

void RedisChatBackend::onRoomMessage(const std::string& key, const std::string& payload) {
    auto it = rooms_.find(key);
    if (it == rooms_.end()) return;
    Room& room = it->second;
    if (room.joining > 0 || !room.known) {
        room.held.push_back(payload);
        return;
    }
    std::string epoch, wire;
    std::uint64_t seq = 0;
    if (!splitPublished(payload, epoch, seq, wire)) return;
    offer(key, room, epoch, seq, std::move(wire));
}

void RedisChatBackend::offer(const std::string& key, Room& room, const std::string& epoch,
                             std::uint64_t seq, std::string wire) {
    auto step = room.feed.offer(epoch, seq, wire);
    if (step.otherEpoch) {
        if (epoch < room.feed.epoch()) return;  // a late event of an epoch we left behind
        resync(key, room, epoch);
        step = room.feed.offer(epoch, seq, std::move(wire));
    }
    apply(key, room, std::move(step));
}

void RedisChatBackend::apply(const std::string& key, Room& room,
                             sockchat::chat::RoomFeed::Step step) {
    std::uint64_t lostBefore = room.feed.lost();
    for (auto& item : step.ready) deliver(room, item.payload, room.base + item.seq);
    stats_.eventsLost += room.feed.lost() - lostBefore;
    if (step.repair) repair(key, *step.repair);
    forgetIfUnused(key);
}

void RedisChatBackend::repair(const std::string& key, sockchat::chat::RoomFeed::Range range) {
    std::string stream = settings_.prefix + "room:" + key + ":log";
    commands_->command(
        {"XRANGE", stream, std::to_string(range.first) + "-1", std::to_string(range.last) + "-1"},
        [this, key, range](Reply reply) {
            auto it = rooms_.find(key);
            if (it == rooms_.end()) return;
            Room& room = it->second;
            if (!reply.isArray()) {
                room.feed.repairFailed();  // the top check asks again
                return;
            }
            std::vector<sockchat::chat::RoomFeed::Item> items;
            for (const auto& entry : reply.elements()) {
                std::uint64_t seq = 0;
                std::string wire;
                if (streamEntry(entry, seq, wire)) items.push_back({seq, std::move(wire)});
            }
            ++stats_.gapsRepaired;
            logger_.info("cluster", "gap repaired from the room's stream",
                         {{"room", room.name},
                          {"first", range.first},
                          {"last", range.last},
                          {"found", items.size()}});
            std::uint64_t lostBefore = room.feed.lost();
            auto step = room.feed.filled(range, std::move(items));
            if (room.feed.lost() > lostBefore)
                deliverNotice(room, std::to_string(room.feed.lost() - lostBefore) + " events of #" +
                                        room.name + " were lost (the cluster no longer has them)");
            apply(key, room, std::move(step));
        });
}

void RedisChatBackend::resync(const std::string& key, Room& room, const std::string& epoch) {
    ++stats_.resyncs;
    logger_.warn("cluster", "room history lost in Redis: starting over",
                 {{"room", room.name}, {"epoch", epoch}});
    room.base += room.feed.last();
    room.feed.restart(epoch, 0);
    deliverNotice(room, "#" + room.name +
                            ": the cluster lost this room's recent history (its Redis restarted or "
                            "failed over); the conversation goes on");
    (void)key;
}

void RedisChatBackend::deliver(Room& room, const std::string& wire, std::uint64_t local) {
    auto event = sockchat::chat::decodeWireEvent(wire);
    if (event) {
        event->seq = local;
        event->room = room.name;
        auto rendered = std::make_shared<const RenderedEvent>(room.id, std::move(*event));
        for (std::size_t w = 0; w < endpoints_.size(); ++w) {
            if (room.perWorker[w] == 0) continue;
            Endpoint target = endpoints_[w];
            target.loop->post([target, rendered] { target.endpoint->deliverRoomEvent(rendered); });
        }
    }
    // Leavers whose own leave has now gone out stop counting.
    std::erase_if(room.leaving, [&](const std::pair<std::size_t, std::uint64_t>& l) {
        if (l.second > local) return false;
        auto& count = room.perWorker.at(l.first);
        if (count > 0) --count;
        return true;
    });
}

void RedisChatBackend::deliverNotice(Room& room, const std::string& text) {
    ChatEvent e;
    e.type = ChatEvent::Type::notice;
    e.text = text;
    e.seq = room.base + room.feed.last();
    auto rendered = std::make_shared<const RenderedEvent>(room.id, std::move(e));
    for (std::size_t w = 0; w < endpoints_.size(); ++w) {
        if (room.perWorker[w] == 0) continue;
        Endpoint target = endpoints_[w];
        target.loop->post([target, rendered] { target.endpoint->deliverRoomEvent(rendered); });
    }
}

// --- Private messages and queries ---------------------------------------------------------------

void RedisChatBackend::sendPrivate(ChatEvent event, std::size_t worker,
                                   Done<std::optional<Recipient>> done) {
    run([this, event = std::move(event), worker, done = std::move(done)]() mutable {
        if (!up_) return answerError(worker, std::move(done));
        std::uint64_t id = clientByNick(event.from);
        scripts_.sendPrivate.run(
            *commands_, {},
            args({foldCase(event.to), owner(id), sockchat::chat::encodeWireEvent(event)}),
            [this, worker, done = std::move(done)](Reply reply) mutable {
                if (reply.isError()) return answerError(worker, std::move(done));
                ChatResult<std::optional<Recipient>> result;
                if (reply.isArray() && reply.elements().size() == 2)
                    result.value = Recipient{reply.elements()[0].str(), reply.elements()[1].str()};
                answer(worker, std::move(done), std::move(result));
            });
    });
}

void RedisChatBackend::onPrivateMessage(const std::string& payload) {
    auto space = payload.find(' ');
    if (space == std::string::npos) return;
    std::uint64_t client = std::strtoull(payload.c_str(), nullptr, 10);
    auto it = clients_.find(client);
    if (it == clients_.end()) return;
    auto event = sockchat::chat::decodeWireEvent(std::string_view(payload).substr(space + 1));
    if (!event || event->type != ChatEvent::Type::privateMessage) return;
    event->to = it->second.nick;
    event->nick = it->second.nick;  // the recipient's copy
    Endpoint target = endpoints_.at(it->second.worker);
    target.loop->post([target, client, event = std::move(*event)] {
        target.endpoint->deliverPrivate(client, event);
    });
}

void RedisChatBackend::whois(const std::string& nick, std::size_t worker,
                             Done<std::optional<Whois>> done) {
    run([this, nick, worker, done = std::move(done)]() mutable {
        if (!up_) return answerError(worker, std::move(done));
        std::string n = foldCase(nick);
        auto exists = std::make_shared<bool>(false);
        commands_->command({"EXISTS", settings_.prefix + "nick:" + n},
                           [exists](Reply reply) { *exists = reply.integer() == 1; });
        commands_->command(
            {"HMGET", settings_.prefix + "user:" + n, "display", "away", "rooms"},
            [this, exists, nick, worker, done = std::move(done)](Reply reply) mutable {
                if (reply.isError() || !reply.isArray() || reply.elements().size() != 3)
                    return answerError(worker, std::move(done));
                ChatResult<std::optional<Whois>> result;
                if (*exists) {
                    Whois w;
                    const auto& f = reply.elements();
                    w.nick = f[0].isNil() ? nick : f[0].str();
                    w.away = f[1].str();
                    std::string_view rooms = f[2].str();
                    while (!rooms.empty()) {
                        auto nl = rooms.find('\n');
                        w.rooms.emplace_back(rooms.substr(0, nl));
                        rooms.remove_prefix(nl == std::string_view::npos ? rooms.size() : nl + 1);
                    }
                    result.value = std::move(w);
                }
                answer(worker, std::move(done), std::move(result));
            });
    });
}

void RedisChatBackend::who(const std::string& roomName, std::size_t worker,
                           Done<std::optional<Members>> done) {
    run([this, roomName, worker, done = std::move(done)]() mutable {
        if (!up_) return answerError(worker, std::move(done));
        scripts_.who.run(*commands_, {},
                         args({foldCase(roomName), std::to_string(nowMs()),
                               foldCase(settings_.defaultRoom), settings_.defaultRoom}),
                         [this, worker, done = std::move(done)](Reply reply) mutable {
                             if (reply.isError()) return answerError(worker, std::move(done));
                             ChatResult<std::optional<Members>> result;
                             if (reply.isArray() && !reply.elements().empty()) {
                                 Members m;
                                 m.room = reply.elements()[0].str();
                                 for (std::size_t i = 1; i < reply.elements().size(); ++i)
                                     m.names.push_back(reply.elements()[i].str());
                                 std::sort(m.names.begin(), m.names.end(),
                                           [](const std::string& a, const std::string& b) {
                                               return foldCase(a) < foldCase(b);
                                           });
                                 result.value = std::move(m);
                             }
                             answer(worker, std::move(done), std::move(result));
                         });
    });
}

void RedisChatBackend::rooms(const RoomQuery& query, std::size_t worker, Done<RoomPage> done) {
    run([this, query, worker, done = std::move(done)]() mutable {
        if (!up_) return answerError(worker, std::move(done));
        // A name without wildcards (/topic, /rooms NAME): that room alone.
        if (!query.pattern.empty() && query.pattern.find_first_of("*?") == std::string::npos)
            return roomDetails(query, {foldCase(query.pattern)}, std::nullopt, worker,
                               std::move(done));
        // Every room, or a pattern: the names alone come here (one cheap command), in name
        // order (the set's scores are expiry times, which every heartbeat moves: paging by them
        // showed some rooms twice and others never), are matched here with the linear
        // globMatch (a Lua pattern backtracks exponentially, and Redis runs one script at a
        // time), and only the page's rooms are looked up.
        commands_->command(
            {"ZRANGEBYSCORE", settings_.prefix + "rooms", std::to_string(nowMs()), "+inf"},
            [this, query, worker, done = std::move(done)](Reply reply) mutable {
                if (reply.isError() || !reply.isArray())
                    return answerError(worker, std::move(done));
                std::vector<std::string> names;
                names.reserve(reply.elements().size());
                for (const auto& r : reply.elements())
                    if (query.pattern.empty() || sockchat::chat::globMatch(query.pattern, r.str()))
                        names.push_back(r.str());
                std::sort(names.begin(), names.end());
                const std::size_t total = names.size();
                std::vector<std::string> keys;
                for (std::size_t i = query.offset; i < total && keys.size() < query.limit; ++i)
                    keys.push_back(std::move(names[i]));
                if (keys.empty()) {
                    ChatResult<RoomPage> result;
                    result.value.total = total;
                    return answer(worker, std::move(done), std::move(result));
                }
                roomDetails(query, std::move(keys), total, worker, std::move(done));
            });
    });
}

void RedisChatBackend::roomDetails(const RoomQuery& query, std::vector<std::string> keys,
                                   std::optional<std::size_t> total, std::size_t worker,
                                   Done<RoomPage> done) {
    auto argv =
        args({std::to_string(nowMs()), foldCase(settings_.defaultRoom), settings_.defaultRoom,
              std::to_string(query.offset), std::to_string(query.limit)});
    argv.insert(argv.end(), keys.begin(), keys.end());
    scripts_.rooms.run(
        *commands_, {}, std::move(argv),
        [this, total, worker, done = std::move(done)](Reply reply) mutable {
            if (reply.isError() || !reply.isArray() || reply.elements().empty())
                return answerError(worker, std::move(done));
            ChatResult<RoomPage> result;
            const auto& f = reply.elements();
            result.value.total = total ? *total : static_cast<std::size_t>(f[0].integer());
            for (std::size_t i = 1; i + 2 < f.size(); i += 3) {
                RoomInfo info{f[i].str(), static_cast<std::size_t>(f[i + 1].integer()), ""};
                if (auto topic = sockchat::chat::decodeWireEvent(f[i + 2].str()))
                    info.topic = topic->text;
                result.value.rooms.push_back(std::move(info));
            }
            // Within the page, as the local backend lists them.
            std::sort(result.value.rooms.begin(), result.value.rooms.end(),
                      [](const RoomInfo& a, const RoomInfo& b) {
                          if (a.members != b.members) return a.members > b.members;
                          return foldCase(a.name) < foldCase(b.name);
                      });
            answer(worker, std::move(done), std::move(result));
        });
}

// --- The link -----------------------------------------------------------------------------------

std::optional<sockchat::redis::Target> RedisChatBackend::locateMaster() {
    std::string error;
    auto found = sockchat::redis::askSentinels(settings_.sentinels, settings_.master,
                                               std::chrono::milliseconds(300), &error);
    std::string now = found ? found->host + ":" + std::to_string(found->port) : error;
    if (now != lastLocated_) {  // once per change, not once per reconnect attempt
        if (found)
            logger_.info("cluster", "Sentinel names the master",
                         {{"master", settings_.master}, {"address", now}});
        else
            logger_.warn("cluster", "no Sentinel names the master",
                         {{"master", settings_.master}, {"reason", error}});
        lastLocated_ = now;
    }
    if (!found) return std::nullopt;
    return sockchat::redis::Target{*found};
}

void RedisChatBackend::checkReadonly(const Reply& reply) {
    if (!reply.isError() || reply.str().find("READONLY") == std::string::npos || !commands_) return;
    commands_->forceReconnect("the master became a replica (READONLY)");
    subscriber_->forceReconnect("the master became a replica (READONLY)");
}

void RedisChatBackend::connectionUp() {
    if (!up_ && commands_->isUp() && subscriber_->isUp()) heartbeat();
}

void RedisChatBackend::connectionDown(const std::string& reason) {
    linkDown(reason);
}

void RedisChatBackend::heartbeat() {
    if (!commands_ || !commands_->isUp()) return;
    auto now = nowMs();
    std::vector<std::string> argv =
        args({settings_.node, instance_, std::to_string(now),
              std::to_string(now + settings_.nickTtl.count()), foldCase(settings_.defaultRoom)});
    argv.push_back(std::to_string(clients_.size()));
    std::size_t members = 0;
    for (const auto& [id, c] : clients_) {
        argv.push_back(foldCase(c.nick));
        argv.push_back(owner(id));
        members += c.rooms.size();
    }
    argv.push_back(std::to_string(members));
    for (const auto& [id, c] : clients_)
        for (const auto& [key, name] : c.rooms) {
            ChatEvent e;
            e.type = ChatEvent::Type::join;
            e.nick = c.nick;
            argv.push_back(key);
            argv.push_back(foldCase(c.nick));
            argv.push_back(c.nick);
            argv.push_back(sockchat::chat::encodeWireEvent(e));
        }
    scripts_.heartbeat.run(*commands_, {}, std::move(argv), [this](Reply reply) {
        checkReadonly(reply);
        const auto& f = reply.elements();
        if (!reply.isArray() || f.size() != 3) {
            if (up_ && std::chrono::steady_clock::now() - lastRefresh_ > settings_.nickTtl * 2 / 3)
                linkDown("nick claims could not be refreshed: " + errorText(reply));
            return;
        }
        if (f[0].integer() != 1) {
            std::string why = "cluster.node " + settings_.node + " is in use by another daemon";
            linkDown(why);
            // A previous run of this node that was killed holds the name until its claim
            // expires (nick_ttl); longer than that, it is a live daemon: a config error.
            auto now = std::chrono::steady_clock::now();
            if (!clashSince_) clashSince_ = now;
            if (!everUp_ && fatal_ && now - *clashSince_ > settings_.nickTtl * 3 / 2) {
                fatal_(why);
                fatal_ = nullptr;
            }
            return;
        }
        clashSince_.reset();
        lastRefresh_ = std::chrono::steady_clock::now();
        for (const auto& lost : f[1].elements()) {
            // Expired or taken: claim it again; someone else's now: a guest nick.
            std::uint64_t client = clientByNick(lost.str());
            auto it = clients_.find(client);
            if (it == clients_.end()) continue;
            const LocalClient& c = it->second;
            scripts_.claim.run(*commands_, {},
                               args({lost.str(), c.nick, owner(client), c.away, userRooms(c)}),
                               [this, client](Reply reply) {
                                   if (reply.isInteger() && reply.integer() == 0)
                                       reclaimFailed(client);
                               });
        }
        if (!up_ && commands_->isUp() && subscriber_->isUp()) linkUp();
    });
}

void RedisChatBackend::linkUp() {
    up_ = true;
    stats_.up = true;
    bool wasUp = everUp_;
    everUp_ = true;
    {
        std::lock_guard lock(guestMutex_);
        linkStatus_ = "cluster: up";
    }
    logger_.info("cluster", "link up", {{"state", "up"}, {"node", settings_.node}});
    refillGuests();
    claimAll();
    checkTops();
    if (wasUp || !clients_.empty()) tellAll(true, "chat is back: the cluster link is up again");
}

void RedisChatBackend::linkDown(const std::string& reason) {
    {
        std::lock_guard lock(guestMutex_);
        linkStatus_ = "cluster: down (" + reason + ")";
    }
    if (!up_) {
        if (reason != downReason_)
            logger_.warn("cluster", "link down", {{"state", "down"}, {"reason", reason}});
        downReason_ = reason;
        return;
    }
    up_ = false;
    stats_.up = false;
    ++stats_.linkDowns;
    downReason_ = reason;
    logger_.warn("cluster", "link down", {{"state", "down"}, {"reason", reason}});
    tellAll(false, kPaused);
}

void RedisChatBackend::claimAll() {
    for (auto& [id, c] : clients_) {
        std::uint64_t client = id;
        scripts_.claim.run(*commands_, {},
                           args({foldCase(c.nick), c.nick, owner(id), c.away, userRooms(c)}),
                           [this, client](Reply reply) {
                               if (reply.isInteger() && reply.integer() == 0) reclaimFailed(client);
                           });
    }
}

void RedisChatBackend::checkTops() {
    if (!up_) return;
    for (auto& [key, room] : rooms_) {
        if (!room.known || room.joining) continue;
        std::string k = key;
        commands_->command({"HMGET", settings_.prefix + "room:" + key, "epoch", "seq"},
                           [this, k](Reply reply) {
                               auto it = rooms_.find(k);
                               if (it == rooms_.end() || !reply.isArray() ||
                                   reply.elements().size() != 2 || reply.elements()[0].isNil())
                                   return;
                               Room& room = it->second;
                               if (room.joining) return;
                               const std::string& epoch = reply.elements()[0].str();
                               auto seq = toSeq(reply.elements()[1]);
                               auto step = room.feed.top(epoch, seq);
                               if (step.otherEpoch) {
                                   if (epoch < room.feed.epoch()) return;
                                   resync(k, room, epoch);
                                   step = room.feed.top(epoch, seq);
                               }
                               apply(k, room, std::move(step));
                           });
    }
}

void RedisChatBackend::tellAll(bool up, const std::string& text) {
    for (const Endpoint& target : endpoints_)
        target.loop->post([target, up, text] { target.endpoint->linkChanged(up, text); });
}

}  // namespace sockchatd::cluster
