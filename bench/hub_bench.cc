// hub_bench: the chat hub (LocalChatBackend) alone, without sockets, at 1, 2, 4, 8 threads, to
// see how it scales and where threads wait for each other. Each thread plays a worker: its own
// EventLoop, attached to the hub as an endpoint, publishing batches of messages from a posted task
// and, between batches, receiving the room events the hub posts to it (as a worker does). Every
// room has one member on every worker, so each message is posted to every thread.
//
//   --rooms own   each thread publishes to its own room (many rooms: the common case)
//   --rooms one   every thread publishes to the same room (one busy room)
//   --global-lock every publish also takes one daemon-wide mutex: the hub as it was before the
//                 directory/room locks (one mutex for every room event), for a same-run ratio
//
// Output, one line per run: key=value (threads, rooms, lock, published/s, delivered/s, and the
// hub's lock waits: count and total wait time per lock kind, mutrace's figures).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "chat/hub_locks.h"
#include "chat/local_chat_backend.h"

namespace {

using namespace std::chrono_literals;
using sockchatd::ChatEvent;
using sockchatd::LocalChatBackend;

struct Options {
    unsigned threads = 2;
    bool oneRoom = false;
    bool globalLock = false;
    double seconds = 1.0;
    std::size_t batch = 64;
};

// A worker's view: counts what the hub delivers.
class CountingEndpoint : public sockchatd::ChatEndpoint {
  public:
    void deliverRoomEvent(const sockchatd::SharedEvent&) override { ++delivered; }
    void deliverPrivate(std::uint64_t, const ChatEvent&) override {}
    void linkChanged(bool, const std::string&) override {}
    void forceNick(std::uint64_t, const std::string&, const std::string&) override {}
    std::uint64_t delivered = 0;  // only this endpoint's loop thread touches it
};

struct Worker {
    sockchat::net::EventLoop loop;
    CountingEndpoint endpoint;
    std::size_t index = 0;
    std::string room, from;
    std::uint64_t published = 0;
    std::thread thread;
};

// What every worker's publishing shares.
struct Publishing {
    const Options& options;
    LocalChatBackend& hub;
    sockchatd::CountedMutex& globalLock;
    std::atomic<bool> stop{false};
    const std::string text = std::string(64, 'x');
};

// A batch, then back to the loop (which delivers what the hub posted meanwhile), and again.
void publishBatch(Worker& w, Publishing& p) {
    if (p.stop.load(std::memory_order_relaxed)) return w.loop.quit();
    for (std::size_t k = 0; k < p.options.batch; ++k) {
        ChatEvent e;
        e.type = ChatEvent::Type::message;
        e.room = w.room;
        e.from = w.from;
        e.text = p.text;
        if (p.options.globalLock) {
            std::lock_guard lock(p.globalLock);
            p.hub.publish(std::move(e), w.index, [](auto) {});
        } else {
            p.hub.publish(std::move(e), w.index, [](auto) {});
        }
        ++w.published;
    }
    w.loop.post([&w, &p] { publishBatch(w, p); });
}

void run(const Options& o) {
    LocalChatBackend hub(20, 64u << 20, "lobby");
    std::vector<std::unique_ptr<Worker>> workers;
    for (unsigned i = 0; i < o.threads; ++i) {
        workers.push_back(std::make_unique<Worker>());
        workers.back()->index = hub.attach(workers.back()->loop, workers.back()->endpoint);
    }
    auto roomOf = [&](unsigned i) {
        return o.oneRoom ? std::string("lobby") : "r" + std::to_string(i);
    };
    for (unsigned r = 0; r < (o.oneRoom ? 1u : o.threads); ++r)
        for (auto& w : workers) {
            auto client = hub.addClient(w->index);
            hub.join(roomOf(r), client.nick, w->index, [](auto) {});
        }
    sockchatd::LockContention globalContention;
    sockchatd::CountedMutex globalLock(globalContention);  // --global-lock: the old hub's mutex
    Publishing publishing{o, hub, globalLock};
    for (unsigned i = 0; i < o.threads; ++i) {
        Worker& w = *workers[i];
        w.room = roomOf(i);
        w.from = "w" + std::to_string(i);
        w.loop.post([&w, &publishing] { publishBatch(w, publishing); });
    }
    auto start = std::chrono::steady_clock::now();
    for (auto& w : workers) w->thread = std::thread([&loop = w->loop] { loop.run(); });
    std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
    publishing.stop = true;
    for (auto& w : workers) w->thread.join();
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::uint64_t published = 0, delivered = 0;
    for (auto& w : workers) published += w->published, delivered += w->endpoint.delivered;
    auto c = hub.contention();
    auto ms = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e6; };
    std::printf(
        "threads=%u rooms=%s lock=%s published_per_s=%.0f delivered_per_s=%.0f "
        "global_waits=%llu global_wait_ms=%.1f directory_waits=%llu directory_wait_ms=%.1f "
        "room_waits=%llu room_wait_ms=%.1f "
        "wait_ms_per_s=%.1f\n",
        o.threads, o.oneRoom ? "one" : "own", o.globalLock ? "global" : "hub",
        static_cast<double>(published) / elapsed, static_cast<double>(delivered) / elapsed,
        static_cast<unsigned long long>(globalContention.waits.load()),
        ms(globalContention.waitNanoseconds.load()),
        static_cast<unsigned long long>(c.directoryWaits), ms(c.directoryWaitNs),
        static_cast<unsigned long long>(c.roomWaits), ms(c.roomWaitNs),
        (ms(globalContention.waitNanoseconds.load()) + ms(c.directoryWaitNs) + ms(c.roomWaitNs)) /
            elapsed);
    std::fflush(stdout);
}

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: hub_bench [--threads N] [--rooms own|one] [--global-lock] "
                 "[--seconds S] [--batch N]\n");
    std::exit(64);
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) usage();
            return argv[++i];
        };
        if (a == "--threads")
            o.threads = static_cast<unsigned>(std::max(1, std::atoi(next().c_str())));
        else if (a == "--rooms") {
            std::string v = next();
            if (v != "own" && v != "one") usage();
            o.oneRoom = v == "one";
        } else if (a == "--global-lock")
            o.globalLock = true;
        else if (a == "--seconds")
            o.seconds = std::atof(next().c_str());
        else if (a == "--batch")
            o.batch = static_cast<std::size_t>(std::max(1, std::atoi(next().c_str())));
        else
            usage();
    }
    run(o);
}
