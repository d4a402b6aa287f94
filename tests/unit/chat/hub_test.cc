// The chat hub (daemon/chat/local_chat_backend.cc) under real concurrency: workers publish on
// their own threads while another thread joins and leaves, and the history budget evicts. Every
// worker must receive every room's events in one order, with no gap and no repeat, and history
// must end within its budget. Run under TSan (the tsan preset), this is also the hub's race check:
// messages take the directory shared and their room's lock, joins take the directory exclusively.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "chat/local_chat_backend.h"

namespace {

using sockchatd::ChatEvent;
using sockchatd::LocalChatBackend;

// Records what reaches one worker, on that worker's thread.
class RecordingEndpoint : public sockchatd::ChatEndpoint {
  public:
    void deliverRoomEvent(const sockchatd::SharedEvent& event) override {
        seqs[event->roomId].push_back(event->seq);
    }
    void deliverPrivate(std::uint64_t, const ChatEvent&) override {}
    void linkChanged(bool, const std::string&) override {}
    void forceNick(std::uint64_t, const std::string&, const std::string&) override {}
    std::map<std::uint64_t, std::vector<std::uint64_t>> seqs;  // room id -> seqs in arrival order
};

struct Worker {
    sockchat::net::EventLoop loop;
    RecordingEndpoint endpoint;
    std::size_t index = 0;
    std::string nick;
    int sent = 0;
    std::thread thread;
};

constexpr int kWorkers = 4;
constexpr int kMessagesEach = 3000;
constexpr std::size_t kHistoryBudget = 16 * 1024;

void publishSome(Worker& w, LocalChatBackend& hub, std::atomic<int>& done) {
    for (int k = 0; k < 50 && w.sent < kMessagesEach; ++k, ++w.sent) {
        ChatEvent e;
        e.type = ChatEvent::Type::message;
        // Alternately the room every worker shares and a room of the worker's own.
        e.room = w.sent % 2 ? "shared" : "own" + std::to_string(w.index);
        e.from = w.nick;
        e.text = std::string(200, 'a' + static_cast<char>(w.index));
        hub.publish(std::move(e), w.index, [](auto) {});
    }
    if (w.sent == kMessagesEach) {
        ++done;
        return;
    }
    w.loop.post([&w, &hub, &done] { publishSome(w, hub, done); });
}

TEST(Hub, EveryWorkerGetsEveryRoomInOneOrderWhileOthersPublishJoinAndLeave) {
    LocalChatBackend hub(20, kHistoryBudget, "lobby");
    std::vector<std::unique_ptr<Worker>> workers;
    for (int i = 0; i < kWorkers; ++i) {
        workers.push_back(std::make_unique<Worker>());
        workers.back()->index = hub.attach(workers.back()->loop, workers.back()->endpoint);
    }
    // Every worker has a member in every room from the start, so it must see all of each.
    std::vector<std::string> rooms{"shared"};
    for (int i = 0; i < kWorkers; ++i) rooms.push_back("own" + std::to_string(i));
    for (auto& w : workers) {
        w->nick = hub.addClient(w->index).nick;
        for (const auto& room : rooms) hub.join(room, w->nick, w->index, [](auto) {});
    }
    std::atomic<int> done{0};
    for (auto& w : workers) {
        Worker& worker = *w;
        worker.loop.post([&worker, &hub, &done] { publishSome(worker, hub, done); });
        worker.thread = std::thread([&worker] { worker.loop.run(); });
    }
    // Meanwhile members come and go in the shared room (the directory's exclusive side).
    int churned = 0;
    while (done.load() < kWorkers) {
        auto guest = hub.addClient(0);
        hub.join("shared", guest.nick, 0, [](auto) {});
        hub.leave("shared", guest.nick, 0, "bye", [](auto) {});
        hub.removeClient(guest.id, guest.nick, 0, "gone");
        ++churned;
    }
    // Everything the hub posted is queued before these: each loop delivers it all, then quits.
    for (auto& w : workers) w->loop.post([&loop = w->loop] { loop.quit(); });
    for (auto& w : workers) w->thread.join();

    std::cout << "[ figure ] " << kWorkers << " workers, " << kMessagesEach << " messages each, "
              << churned << " join/leave pairs meanwhile\n";
    const auto& reference = workers[0]->endpoint.seqs;
    ASSERT_EQ(reference.size(), rooms.size());
    for (auto& w : workers) {
        ASSERT_EQ(w->endpoint.seqs.size(), rooms.size());
        for (const auto& [room, seqs] : w->endpoint.seqs) {
            // From its own join on (seq 1 for the first joiner): each event once, in order, to
            // the room's last one.
            ASSERT_FALSE(seqs.empty());
            for (std::size_t k = 1; k < seqs.size(); ++k)
                ASSERT_EQ(seqs[k], seqs[0] + k) << "worker " << w->index << ", room " << room;
            EXPECT_EQ(seqs.back(), reference.at(room).back()) << "room " << room;
        }
    }
    std::size_t events = 0;
    for (const auto& [room, seqs] : reference) events += seqs.back();
    // The workers' joins (one per worker and room), every message, the churn's joins and leaves.
    EXPECT_EQ(events, rooms.size() * kWorkers + kWorkers * kMessagesEach + 2 * churned);
    EXPECT_LE(hub.historyBytes(), kHistoryBudget);
}

}  // namespace
