// chat_load: an open-loop fan-out load generator for line-based chat servers (sockchatd's chat
// service, and the tutorial's thread-per-client broadcast server it is compared with). One
// thread, one epoll loop, non-blocking sockets, so the generator costs far less per line than
// the servers it measures.
//
// Every message is one line of text, "@@RUN m SENDER SEQ SEND_NS xxx...", and a receiver finds
// it anywhere in the line it gets: sockchatd delivers "<guest-4> @@RUN m ...", the tutorial
// server the bare line. That makes the tool protocol-agnostic; the only thing it relies on is
// that a line sent by one client reaches the others. RUN is random per process, so lines of an
// earlier run (sockchatd replays a room's last lines to newcomers as history) are told apart
// and ignored. SEND_NS is steady_clock time in this very process, so a receiver computes the
// delivery latency without any clock sync.
//
//   setup: connect --clients sockets; each sends "@@RUN r INDEX" and repeats it every
//     --ready-interval until every other client has seen it. Only then is every client known to
//     be a recipient (a TCP connect completes in the kernel long before a server has accepted
//     it, registered it or started its thread), so no message of the window can miss anyone.
//   window: --senders clients (the first ones; default all) send --rate lines per second each,
//     open loop, on a fixed schedule spread evenly over the senders: a slow server cannot slow
//     the offered load down, it can only deliver late or not at all.
//   drain: up to --drain seconds more for deliveries still in flight.
//
// Output: one line of key=value pairs on stdout, for bench/run_chat.sh and for humans.
//
// --protocol irc (bench/run_fanout.sh: ngIRCd): each client registers (NICK bN, USER bN 0 *
// :bench), waits for numeric 001, sends JOIN #bench (or its room), waits for 366 (end of
// NAMES) and only then starts its ready lines; every line the tool sends is "PRIVMSG #CHANNEL
// :TEXT" with the same TEXT as above, and the receive path is the same (the marker anywhere in
// the line). "PING :x" is answered "PONG :x"; ERROR and 4xx/5xx numerics are server_errors.
// --rooms R: client i is in room K = i mod R (IRC: channel #rK instead of #bench; sockchatd's
// line protocol: a first line "/hello room=rK", so the client is in that room only, never in
// #lobby); a sender's lines are owed to the other members of its room only, and a line of
// another room reaching a client is counted in cross_room.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "load_common.h"
#include "sockchat/net/fd.h"

namespace {

using bench::Clock;
using bench::Histogram;
using sockchat::net::Fd;

struct Options {
    std::string host = "127.0.0.1";
    // "--port A,B": client i connects to ports[i % ports.size()], so clients and senders are
    // spread evenly over several servers (daemons sharing one chat, bench/run_cluster.sh).
    std::vector<int> ports;
    int clients = 10;
    int senders = -1;  // -1: every client sends
    // Under sockchatd's default chat limits (5 lines/s, burst 20), so that a stock daemon takes
    // the default load without "! slow down"; bench/run_chat.sh raises the limits instead.
    double rate = 4.0;
    std::size_t size = 64;  // message text length, the header included
    double duration = 5.0;
    double drain = 3.0;
    int waitReadyMs = 0;
    double setupTimeout = 20;
    int readyIntervalMs = 250;  // 4 lines/s: under sockchatd's default rate limit too
    // Before the run, wait until a line sent on each port reaches the others (a cluster daemon
    // listens before its Redis link is up and answers "! chat is paused" meanwhile).
    int waitChatMs = 0;
    // Processes whose CPU time (utime + stime from /proc/PID/stat) is measured over the window.
    std::vector<int> cpuPids;
    bool probe = false;  // internal: the --wait-chat probe, setup only
    bool irc = false;    // --protocol irc
    int rooms = 1;       // --rooms R: client i in room i mod R
    // --connect-rate N: connections opened per second during setup (0: all at once). ncat and
    // ngIRCd listen with a short backlog, and a burst of hundreds of connects overflows it: ncat
    // then quits on a reset connection, ngIRCd takes many seconds of SYN-ACK retries to let
    // them all in.
    double connectRate = 0;
    // --perf-ctl FIFO[,FIFO...]: control FIFOs of `perf stat|record -D -1 --control fifo:FIFO`
    // (bench/run_fanout.sh's syscall counts): "enable" is written to each as the window starts,
    // "disable" as it ends, so perf counts the window and nothing of setup or drain.
    std::vector<std::string> perfCtl;
};

// The ready matrix is clients^2 bytes; beyond this the setup alone would dominate the run.
constexpr int kMaxClients = 5000;

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "chat_load: %s\n", what.c_str());
    std::exit(1);
}

Options parseArgs(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i], value;
        if (auto eq = arg.find('='); eq != std::string::npos) {
            value = arg.substr(eq + 1);
            arg.resize(eq);
        } else if (arg != "--help") {
            if (i + 1 >= argc) die(arg + " needs a value");
            value = argv[++i];
        }
        auto num = [&] { return std::strtod(value.c_str(), nullptr); };
        auto list = [&] {
            std::vector<int> out;
            for (std::size_t at = 0; at <= value.size();) {
                auto comma = std::min(value.find(',', at), value.size());
                out.push_back(std::atoi(value.substr(at, comma - at).c_str()));
                at = comma + 1;
            }
            return out;
        };
        if (arg == "--host")
            o.host = value;
        else if (arg == "--port" || arg == "--ports")
            o.ports = list();
        else if (arg == "--cpu-pids")
            o.cpuPids = list();
        else if (arg == "--wait-chat")
            o.waitChatMs = static_cast<int>(num());
        else if (arg == "--clients")
            o.clients = static_cast<int>(num());
        else if (arg == "--senders")
            o.senders = static_cast<int>(num());
        else if (arg == "--rate")
            o.rate = num();
        else if (arg == "--size")
            o.size = static_cast<std::size_t>(num());
        else if (arg == "--duration")
            o.duration = num();
        else if (arg == "--drain")
            o.drain = num();
        else if (arg == "--wait-ready")
            o.waitReadyMs = static_cast<int>(num());
        else if (arg == "--setup-timeout")
            o.setupTimeout = num();
        else if (arg == "--ready-interval")
            o.readyIntervalMs = static_cast<int>(num());
        else if (arg == "--protocol" && (value == "line" || value == "irc"))
            o.irc = value == "irc";
        else if (arg == "--rooms")
            o.rooms = static_cast<int>(num());
        else if (arg == "--connect-rate")
            o.connectRate = num();
        else if (arg == "--perf-ctl") {
            for (std::size_t at = 0; at < value.size();) {
                auto comma = std::min(value.find(',', at), value.size());
                o.perfCtl.push_back(value.substr(at, comma - at));
                at = comma + 1;
            }
        } else {
            std::fprintf(stderr,
                         "usage: chat_load --port P[,P2...] [--host 127.0.0.1] [--clients 10]\n"
                         "  [--senders all] [--rate 4 (lines/s per sender)] [--size 64]\n"
                         "  [--duration 5] [--drain 3] [--wait-ready MS] [--setup-timeout 20]\n"
                         "  [--ready-interval 250 (ms)] [--wait-chat MS] [--cpu-pids PID,...]\n"
                         "  [--protocol line|irc] [--rooms 1] [--connect-rate 0 (per s)]\n"
                         "  [--perf-ctl FIFO,... (perf --control fifos: enabled for the window)]\n"
                         "  (--clients 0: only wait for the port(s); --port A,B,...: clients\n"
                         "  take the ports in turn)\n");
            std::exit(arg == "--help" ? 0 : 2);
        }
    }
    if (o.ports.empty()) die("--port is required");
    for (int port : o.ports)
        if (port <= 0 || port > 65535) die("--port: each port must be 1..65535");
    for (int pid : o.cpuPids)
        if (pid <= 0) die("--cpu-pids: bad pid");
    if (o.clients < 0 || o.clients == 1 || o.clients > kMaxClients)
        die("--clients must be 0 or 2.." + std::to_string(kMaxClients));
    if (o.senders < 0) o.senders = o.clients;
    if (o.clients > 0 && (o.senders < 1 || o.senders > o.clients))
        die("--senders must be 1..--clients");
    if (o.rooms < 1 || (o.clients > 0 && o.clients < 2 * o.rooms))
        die("--rooms must be 1..--clients/2 (two members a room at least)");
    if (o.irc && o.waitChatMs > 0) die("--wait-chat is for the line protocol only");
    if (o.rate <= 0 || o.duration <= 0 || o.drain < 0 || o.readyIntervalMs <= 0)
        die("bad --rate/--duration/--drain/--ready-interval");
    return o;
}

std::int64_t nanos(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// A server's address; client i uses addresses[i % addresses.size()].
struct Address {
    sockaddr_storage ss{};
    socklen_t len = 0;
};

// CPU seconds (user + system, all threads) a process has used so far, from /proc/PID/stat; -1 if
// it cannot be read (the process is gone).
double processCpuSeconds(int pid) {
    std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
    if (f == nullptr) return -1;
    char buf[1024];
    std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
    const char* p = std::strrchr(buf, ')');
    if (p == nullptr) return -1;
    unsigned long long utime = 0, stime = 0;
    // Fields 3..13 skipped, then utime (14) and stime (15), in clock ticks.
    if (std::sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                    &stime) != 2)
        return -1;
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double cpuSeconds() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    auto secs = [](const timeval& tv) {
        return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
    };
    return secs(ru.ru_utime) + secs(ru.ru_stime);
}

struct Client {
    Fd fd;
    bool connected = false;
    std::uint32_t events = 0;
    std::string out;         // what the socket did not take yet (a server not reading)
    std::string partial;     // the start of a line whose end has not arrived
    std::uint32_t seq = 0;   // next message number, for senders
    std::size_t seenBy = 0;  // other clients that have seen this one's ready line
    // --protocol irc: 0 registering (until 001), 1 joining (until 366), 2 in the channel.
    int ircStage = 0;
};

class ChatLoad {
  public:
    explicit ChatLoad(const Options& o)
        : o_(o),
          n_(static_cast<std::size_t>(o.clients)),
          clients_(n_),
          readySeen_(n_ * n_, 0),
          nextSeq_(n_ * n_, 0),
          order_(n_),
          servers_(o.ports.size()),
          rooms_(static_cast<std::size_t>(o.rooms)),
          roomSize_(rooms_, 0) {
        for (std::size_t i = 0; i < n_; ++i) ++roomSize_[i % rooms_];
        // Time and pid: two runs started in the same nanosecond are also two processes.
        auto run = static_cast<std::uint32_t>(nanos(Clock::now())) ^
                   (static_cast<std::uint32_t>(::getpid()) << 20);
        char tag[16];
        std::snprintf(tag, sizeof tag, "@@%08x ", run);
        tag_ = tag;
    }

    int run(const std::vector<Address>& addresses) {
        epoll_ = Fd(::epoll_create1(EPOLL_CLOEXEC));
        // A timerfd rather than epoll_wait's millisecond timeout: at 1000+ lines/s the schedule
        // needs sub-millisecond ticks, and the timer keeps them without busy-polling.
        timer_ = Fd(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
        if (!epoll_ || !timer_) die(std::string("epoll/timerfd: ") + std::strerror(errno));
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = kTimerKey;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, timer_.get(), &ev) < 0)
            die("epoll_ctl(timer)");

        auto t0 = Clock::now();
        open_ = n_;
        if (o_.connectRate <= 0) {
            for (std::size_t i = 0; i < n_; ++i) open(i, addresses[i % addresses.size()]);
        } else {
            for (std::size_t opened = 0; opened < n_;) {
                double secs = std::chrono::duration<double>(Clock::now() - t0).count();
                auto due = std::min(n_, 1 + static_cast<std::size_t>(secs * o_.connectRate));
                for (; opened < due; ++opened) open(opened, addresses[opened % addresses.size()]);
                poll(1);
            }
        }
        arm(std::chrono::milliseconds(o_.readyIntervalMs));
        auto setupDeadline = t0 + std::chrono::duration<double>(o_.setupTimeout);
        std::size_t allPairs = 0;
        for (std::size_t m : roomSize_) allPairs += m * (m - 1);
        while (readyPairs_ < allPairs) {
            if (Clock::now() > setupDeadline && o_.probe) return 1;
            if (Clock::now() > setupDeadline)
                die("setup timed out: " + std::to_string(readyPairs_) + "/" +
                    std::to_string(allPairs) + " (receiver, sender) ready pairs seen, " +
                    std::to_string(connected_) + "/" + std::to_string(n_) + " connected");
            poll(100);
        }
        double setupMs = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (o_.probe) return 0;

        // Ready lines resent in the last round may still be on their way; let them land before
        // the clock starts, so the window measures messages only.
        phase_ = Phase::settle;
        arm(Clock::duration::zero());
        runUntil(Clock::now() + std::chrono::milliseconds(200));

        std::uint64_t total = static_cast<std::uint64_t>(o_.senders) *
                              static_cast<std::uint64_t>(o_.rate * o_.duration + 0.5);
        interval_ = std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(1.0 / (o_.rate * o_.senders)));
        start_ = Clock::now();
        windowEnd_ = start_ + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(o_.duration));
        scheduled_ = total;
        double cpu0 = cpuSeconds();
        std::vector<double> pidCpu;
        for (int pid : o_.cpuPids) pidCpu.push_back(processCpuSeconds(pid));
        phase_ = Phase::running;
        perfControl("enable\n");
        arm(interval_);
        runUntil(windowEnd_);
        perfControl("disable\n");
        double secs = std::chrono::duration<double>(Clock::now() - start_).count();
        double cpu = (cpuSeconds() - cpu0) / secs;
        for (std::size_t k = 0; k < pidCpu.size(); ++k) {
            double now = processCpuSeconds(o_.cpuPids[k]);
            pidCpu[k] = pidCpu[k] < 0 || now < 0 ? -1 : (now - pidCpu[k]) / secs;
        }
        arm(Clock::duration::zero());

        phase_ = Phase::draining;
        auto drainEnd = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(o_.drain));
        // A server that shows senders their own lines owes those too: the order check wants them.
        auto owed = [&] { return deliveries_ < expected() || (self_ > 0 && self_ < sent_); };
        for (auto now = Clock::now(); now < drainEnd && open_ > 0 && owed(); now = Clock::now())
            poll(static_cast<int>(
                std::chrono::ceil<std::chrono::milliseconds>(drainEnd - now).count()));
        orderMismatches_ = checkOrder();
        report(secs, setupMs, cpu, pidCpu);
        return errors() == 0 ? 0 : 3;
    }

  private:
    enum class Phase { setup, settle, running, draining };
    static constexpr std::uint64_t kTimerKey = ~std::uint64_t{0};

    // Each line is owed to the other members of its sender's room.
    std::uint64_t expected() const { return expected_; }
    std::uint64_t errors() const {
        return closed_ + malformed_ + reorders_ + serverErrors_ + orderMismatches_ + crossRoom_;
    }
    std::size_t room(std::size_t i) const { return i % rooms_; }
    std::size_t peers(std::size_t i) const { return roomSize_[room(i)] - 1; }
    std::string channel(std::size_t i) const {
        return rooms_ == 1 ? std::string("#bench") : "#r" + std::to_string(room(i));
    }
    // A line of chat as this protocol says it: bare, or as an IRC PRIVMSG to the client's room.
    std::string say(std::size_t i, std::string text) const {
        if (!o_.irc) return text + "\n";
        return "PRIVMSG " + channel(i) + " :" + text + "\r\n";
    }

    // Writes a command to every --perf-ctl FIFO (perf reads it; a FIFO without a reader fails).
    void perfControl(std::string_view command) const {
        for (const auto& path : o_.perfCtl) {
            Fd fifo(::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
            if (!fifo || ::write(fifo.get(), command.data(), command.size()) < 0)
                die("--perf-ctl " + path + ": " + std::strerror(errno));
        }
    }

    // Periodic timer; zero disarms it.
    void arm(Clock::duration period) {
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(period).count();
        itimerspec spec{};
        spec.it_interval.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
        spec.it_interval.tv_nsec = static_cast<long>(ns % 1'000'000'000);
        spec.it_value = spec.it_interval;
        ::timerfd_settime(timer_.get(), 0, &spec, nullptr);
    }

    void runUntil(Clock::time_point end) {
        for (auto now = Clock::now(); now < end && open_ > 0; now = Clock::now())
            poll(static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(end - now).count()));
    }

    void open(std::size_t i, const Address& a) {
        Client& c = clients_[i];
        c.fd = Fd(::socket(a.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!c.fd) die(std::string("socket: ") + std::strerror(errno));
        // Each line is written on its own, when due: Nagle would hold it back for an ACK and
        // the latency would be ours, not the server's.
        int one = 1;
        ::setsockopt(c.fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (::connect(c.fd.get(), reinterpret_cast<const sockaddr*>(&a.ss), a.len) < 0 &&
            errno != EINPROGRESS)
            die(std::string("connect: ") + std::strerror(errno));
        epoll_event ev{};
        ev.events = c.events = EPOLLOUT;
        ev.data.u64 = i;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, c.fd.get(), &ev) < 0) die("epoll_ctl(ADD)");
    }

    void want(std::size_t i, std::uint32_t events) {
        Client& c = clients_[i];
        if (c.events == events) return;
        epoll_event ev{};
        ev.events = c.events = events;
        ev.data.u64 = i;
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.fd.get(), &ev);
    }

    void poll(int timeoutMs) {
        std::array<epoll_event, 256> evs;
        int n = ::epoll_wait(epoll_.get(), evs.data(), static_cast<int>(evs.size()), timeoutMs);
        if (n < 0 && errno != EINTR) die(std::string("epoll_wait: ") + std::strerror(errno));
        for (int k = 0; k < n; ++k) {
            std::uint64_t key = evs[k].data.u64;
            if (key == kTimerKey)
                onTimer();
            else if (clients_[key].fd)
                onEvents(key, evs[k].events);
        }
    }

    void onTimer() {
        std::uint64_t expirations = 0;
        if (::read(timer_.get(), &expirations, sizeof expirations) < 0) return;
        if (phase_ == Phase::setup) {
            for (std::size_t i = 0; i < n_; ++i)
                if (clients_[i].connected && clients_[i].seenBy < peers(i) &&
                    (!o_.irc || clients_[i].ircStage == 2))
                    sendReady(i);
        } else if (phase_ == Phase::running) {
            // Everything due by now, in schedule order: a late tick (a busy loop, a descheduled
            // process) sends the backlog at once rather than lowering the offered rate.
            auto now = Clock::now();
            while (next_ < scheduled_ &&
                   start_ + interval_ * static_cast<std::int64_t>(next_) <= now) {
                auto due = start_ + interval_ * static_cast<std::int64_t>(next_);
                sendMessage(
                    static_cast<std::size_t>(next_ % static_cast<std::uint64_t>(o_.senders)), due);
                ++next_;
            }
        }
    }

    void onEvents(std::size_t i, std::uint32_t events) {
        Client& c = clients_[i];
        if (!c.connected) {
            int err = 0;
            socklen_t len = sizeof err;
            ::getsockopt(c.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0) die(std::string("connect: ") + std::strerror(err));
            c.connected = true;
            ++connected_;
            want(i, EPOLLIN);
            if (o_.irc) {
                queue(i, "NICK b" + std::to_string(i) + "\r\nUSER b" + std::to_string(i) +
                             " 0 * :bench\r\n");
                return;
            }
            if (rooms_ > 1) queue(i, "/hello room=r" + std::to_string(room(i)) + "\n");
            sendReady(i);
            return;
        }
        if (events & EPOLLIN) onReadable(i);
        if ((events & EPOLLOUT) && c.fd) flush(i);
        if ((events & (EPOLLHUP | EPOLLERR)) && c.fd && !(events & EPOLLIN)) lost(i, "hang-up");
    }

    void sendReady(std::size_t i) { queue(i, say(i, tag_ + "r " + std::to_string(i))); }

    void sendMessage(std::size_t i, Clock::time_point due) {
        Client& c = clients_[i];
        if (!c.fd) return;
        auto now = Clock::now();
        sendLag_.record(static_cast<std::uint64_t>(nanos(now) - nanos(due)));
        std::string line = tag_ + "m " + std::to_string(i) + " " + std::to_string(c.seq++) + " " +
                           std::to_string(nanos(now)) + " ";
        if (line.size() < o_.size) line.append(o_.size - line.size(), 'x');
        ++sent_;
        expected_ += peers(i);
        queue(i, say(i, std::move(line)));
    }

    // Writes now what the socket takes; the rest waits for EPOLLOUT, in order.
    void queue(std::size_t i, std::string_view bytes) {
        Client& c = clients_[i];
        if (!c.fd) return;
        c.out.append(bytes);
        flush(i);
    }

    void flush(std::size_t i) {
        Client& c = clients_[i];
        std::size_t done = 0;
        while (done < c.out.size()) {
            ssize_t n = ::send(c.fd.get(), c.out.data() + done, c.out.size() - done, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) break;
                return lost(i, std::strerror(errno));
            }
            done += static_cast<std::size_t>(n);
        }
        c.out.erase(0, done);
        outMax_ = std::max(outMax_, c.out.size());
        want(i, c.out.empty() ? EPOLLIN : EPOLLIN | EPOLLOUT);
    }

    void onReadable(std::size_t i) {
        Client& c = clients_[i];
        // A few reads per event: one busy socket must not starve the others (level-triggered,
        // so what is left is reported again on the next epoll_wait).
        for (int reads = 0; reads < 4; ++reads) {
            ssize_t n = ::recv(c.fd.get(), rx_.data(), rx_.size(), 0);
            if (n == 0) return lost(i, "server closed the connection");
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) return;
                return lost(i, std::strerror(errno));
            }
            // One clock read per recv: every line in it arrived at the same moment.
            std::int64_t now = nanos(Clock::now());
            std::string_view data(rx_.data(), static_cast<std::size_t>(n));
            if (!c.partial.empty()) {
                auto nl = data.find('\n');
                if (nl == std::string_view::npos) {
                    c.partial.append(data);
                    if (c.partial.size() > kMaxLine) return lost(i, "line longer than 64 KiB");
                    continue;
                }
                c.partial.append(data.substr(0, nl));
                onLine(i, c.partial, now);
                c.partial.clear();
                data.remove_prefix(nl + 1);
            }
            for (auto nl = data.find('\n'); nl != std::string_view::npos; nl = data.find('\n')) {
                onLine(i, data.substr(0, nl), now);
                data.remove_prefix(nl + 1);
            }
            c.partial.assign(data);
        }
    }

    // IRC lines that are not chat: registration, join, PING, errors. Returns true if handled.
    bool onIrcLine(std::size_t i, std::string_view line) {
        Client& c = clients_[i];
        if (line.starts_with("PING")) {
            std::string pong(line);
            pong[1] = 'O';
            queue(i, pong + "\r\n");
            return true;
        }
        if (line.starts_with("ERROR")) {
            ircError(i, line);
            return true;
        }
        if (!line.starts_with(":")) return false;
        // ":prefix COMMAND ...": a numeric is three digits.
        auto sp = line.find(' ');
        if (sp == std::string_view::npos) return false;
        std::string_view cmd = line.substr(sp + 1);
        cmd = cmd.substr(0, cmd.find(' '));
        if (cmd == "PRIVMSG") return false;  // chat: the common path
        if (cmd.size() != 3 ||
            !std::all_of(cmd.begin(), cmd.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
            return true;  // JOIN, MODE, NOTICE...
        if (cmd == "001" && c.ircStage == 0) {
            c.ircStage = 1;
            queue(i, "JOIN " + channel(i) + "\r\n");
        } else if (cmd == "366" && c.ircStage == 1) {
            c.ircStage = 2;
            sendReady(i);
        } else if (cmd[0] == '4' || cmd[0] == '5') {
            ircError(i, line);
        }
        return true;
    }
    void ircError(std::size_t i, std::string_view line) {
        if (serverErrors_++ == 0)
            std::fprintf(stderr, "chat_load: client %zu got: %.*s\n", i,
                         static_cast<int>(line.size()), line.data());
    }

    static bool parse(std::string_view& s, std::int64_t& value) {
        while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
        if (ec != std::errc{}) return false;
        s.remove_prefix(static_cast<std::size_t>(end - s.data()));
        return true;
    }

    void onLine(std::size_t receiver, std::string_view line, std::int64_t nowNs) {
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (o_.irc && onIrcLine(receiver, line)) return;
        // sockchatd's error lines: "! slow down" is its rate limit at work, anything else a
        // finding worth a look (e.g. "line too long").
        if (!o_.irc && line.starts_with("! ")) {
            if (o_.probe) return;  // "! chat is paused" until the cluster link is up
            if (line.find("slow down") != std::string_view::npos) {
                ++refused_;
            } else if (serverErrors_++ == 0) {
                std::fprintf(stderr, "chat_load: client %zu got: %.*s\n", receiver,
                             static_cast<int>(line.size()), line.data());
            }
            return;
        }
        auto at = line.find(tag_);
        if (at == std::string_view::npos || at + tag_.size() >= line.size()) {
            if (line.find("@@") != std::string_view::npos) ++foreign_;
            return;  // joins, welcome, MOTD... and lines of earlier runs
        }
        char kind = line[at + tag_.size()];
        std::string_view rest = line.substr(at + tag_.size() + 1);
        std::int64_t sender = -1, seq = -1, sentNs = 0;
        if (!parse(rest, sender) || sender < 0 || static_cast<std::size_t>(sender) >= n_) {
            ++malformed_;
            return;
        }
        auto from = static_cast<std::size_t>(sender);
        if (room(from) != room(receiver)) {  // a line of another room: the server mixed rooms up
            if (crossRoom_++ == 0)
                std::fprintf(stderr, "chat_load: client %zu (room %zu) got a line of room %zu\n",
                             receiver, room(receiver), room(from));
            return;
        }
        if (kind == 'r') {
            if (from == receiver) return;
            auto& seen = readySeen_[receiver * n_ + from];
            if (!seen) {
                seen = 1;
                ++clients_[from].seenBy;
                ++readyPairs_;
            }
            return;
        }
        if (kind != 'm' || !parse(rest, seq) || !parse(rest, sentNs) || seq < 0 ||
            from >= static_cast<std::size_t>(o_.senders)) {
            ++malformed_;
            return;
        }
        // The schedule is round-robin over the senders, so this is the line's place in it.
        order_[receiver].push_back(static_cast<std::uint32_t>(
            static_cast<std::uint64_t>(seq) * static_cast<std::uint64_t>(o_.senders) + from));
        if (from == receiver) {  // sockchatd shows a sender its own line; the tutorial does not
            ++self_;
            return;
        }
        ++deliveries_;
        if (phase_ == Phase::running) ++inWindow_;
        latency_.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, nowNs - sentNs)));
        // Each sender's lines must reach each receiver whole, once and in order: a jump is a
        // line lost (a server dropping, or mixing lines up), a step back a duplicate.
        auto& next = nextSeq_[receiver * n_ + from];
        auto got = static_cast<std::uint64_t>(seq);
        if (got > next)
            gaps_ += got - next;
        else if (got < next)
            ++reorders_;
        next = std::max(next, got + 1);
    }

    // One order: every receiver must have seen the lines it got in the same relative order.
    // Receiver r's sequence is compared with those of the first four members of its room, each
    // pair on the lines both saw (a server that does not echo a sender's own lines leaves those
    // out of one side only): along r's sequence, the positions the same lines had in the
    // reference must increase. Four references, because for any two senders' lines at any
    // receiver one of them saw both and is not that receiver. Linear in the deliveries. Returns
    // how many receivers disagree.
    std::uint64_t checkOrder() const {
        if (n_ < 2) return 0;
        std::vector<std::int64_t> pos(static_cast<std::size_t>(scheduled_), -1);
        std::vector<std::uint8_t> bad(n_, 0);
        bool told = false;
        for (std::size_t rm = 0; rm < rooms_; ++rm) {
            for (std::size_t k4 = 0; k4 < 4; ++k4) {
                std::size_t ref = rm + k4 * rooms_;  // the room's members are rm, rm + R, ...
                if (ref >= n_) break;
                const auto& refSeq = order_[ref];
                for (std::size_t k = 0; k < refSeq.size(); ++k)
                    if (refSeq[k] < pos.size() && pos[refSeq[k]] < 0)
                        pos[refSeq[k]] = static_cast<std::int64_t>(k);
                for (std::size_t r = rm; r < n_; r += rooms_) {
                    if (r == ref || bad[r]) continue;
                    std::int64_t last = -1;
                    const auto& seq = order_[r];
                    for (std::size_t k = 0; k < seq.size(); ++k) {
                        std::int64_t p = seq[k] < pos.size() ? pos[seq[k]] : -1;
                        if (p < 0) continue;
                        if (p <= last) {
                            bad[r] = 1;
                            if (!told) {
                                told = true;
                                std::fprintf(
                                    stderr,
                                    "chat_load: order differs: receiver %zu's line %zu is "
                                    "message %u (sender %u), which receiver %zu got before "
                                    "the message receiver %zu got just before it\n",
                                    r, k, seq[k], seq[k] % static_cast<unsigned>(o_.senders), ref,
                                    r);
                            }
                            break;
                        }
                        last = p;
                    }
                }
                for (std::uint32_t m : refSeq)  // back to -1, for the next reference
                    if (m < pos.size()) pos[m] = -1;
            }
        }
        return static_cast<std::uint64_t>(std::count(bad.begin(), bad.end(), 1));
    }

    void lost(std::size_t i, const char* why) {
        // Once: a broken server would otherwise print a line per client.
        if (closed_++ == 0) std::fprintf(stderr, "chat_load: client %zu: %s\n", i, why);
        if (phase_ == Phase::setup) die("a client failed during setup");
        clients_[i].fd.reset();  // closing also removes it from epoll
        --open_;
    }

    void report(double secs, double setupMs, double cpu, const std::vector<double>& pidCpu) const {
        auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e3; };
        double complete = expected() == 0
                              ? 0.0
                              : static_cast<double>(deliveries_) / static_cast<double>(expected());
        std::printf(
            "clients=%zu senders=%d rate=%g size=%zu duration_s=%.2f setup_ms=%.0f sent=%llu "
            "expected=%llu deliveries=%llu complete=%.4f deliveries_per_s=%.0f p50_us=%.1f "
            "p99_us=%.1f max_us=%.1f late=%llu gaps=%llu reorders=%llu self=%llu refused=%llu "
            "server_errors=%llu closed=%llu malformed=%llu foreign=%llu send_lag_p99_us=%.1f "
            "out_queue_max=%zu load_cpu=%.2f servers=%zu order_mismatches=%llu rooms=%zu "
            "cross_room=%llu protocol=%s",
            n_, o_.senders, o_.rate, o_.size, secs, setupMs, ull(sent_), ull(expected()),
            ull(deliveries_), complete, static_cast<double>(inWindow_) / secs,
            us(latency_.quantile(0.50)), us(latency_.quantile(0.99)), us(latency_.max()),
            ull(deliveries_ - inWindow_), ull(gaps_), ull(reorders_), ull(self_), ull(refused_),
            ull(serverErrors_), ull(closed_), ull(malformed_), ull(foreign_),
            us(sendLag_.quantile(0.99)), outMax_, cpu, servers_, ull(orderMismatches_), rooms_,
            ull(crossRoom_), o_.irc ? "irc" : "line");
        // CPU seconds per second of the window of each --cpu-pids process, in that order.
        if (!pidCpu.empty()) {
            std::printf(" pid_cpu=");
            for (std::size_t k = 0; k < pidCpu.size(); ++k) {
                if (pidCpu[k] < 0)
                    std::printf("%sgone", k ? "," : "");
                else
                    std::printf("%s%.2f", k ? "," : "", pidCpu[k]);
            }
        }
        std::printf("\n");
    }
    static unsigned long long ull(std::uint64_t v) { return v; }

    static constexpr std::size_t kMaxLine = 64 * 1024;

    const Options& o_;
    std::size_t n_;
    std::string tag_;  // "@@RUN ": this run's lines, and only those
    std::vector<Client> clients_;
    std::vector<std::uint8_t> readySeen_;  // [receiver * n + sender]
    std::vector<std::uint64_t> nextSeq_;   // [receiver * n + sender]: the seq expected next
    // Per receiver, the place in the schedule of each line of this run it got, own lines too.
    std::vector<std::vector<std::uint32_t>> order_;
    std::size_t servers_ = 1;
    std::size_t rooms_ = 1;
    std::vector<std::size_t> roomSize_;  // members of each room
    std::uint64_t orderMismatches_ = 0, expected_ = 0, crossRoom_ = 0;
    Fd epoll_, timer_;
    Phase phase_ = Phase::setup;
    std::array<char, 64 * 1024> rx_;
    std::size_t open_ = 0, connected_ = 0, readyPairs_ = 0, outMax_ = 0;
    Clock::time_point start_, windowEnd_;
    Clock::duration interval_{};
    std::uint64_t next_ = 0, scheduled_ = 0;
    std::uint64_t sent_ = 0, deliveries_ = 0, inWindow_ = 0, gaps_ = 0, reorders_ = 0, self_ = 0,
                  refused_ = 0, serverErrors_ = 0, closed_ = 0, malformed_ = 0, foreign_ = 0;
    Histogram latency_, sendLag_;
};

}  // namespace

int main(int argc, char** argv) {
    Options o = parseArgs(argc, argv);
    std::vector<Address> addresses(o.ports.size());
    for (std::size_t k = 0; k < o.ports.size(); ++k) {
        Address& a = addresses[k];
        if (!bench::resolveNumeric(o.host, o.ports[k], a.ss, a.len))
            die("--host must be a numeric IP address: " + o.host);
        if (o.waitReadyMs > 0) {
            if (int err = bench::waitReady(a.ss, a.len, o.waitReadyMs); err != 0)
                die("server on port " + std::to_string(o.ports[k]) +
                    " not ready: " + std::strerror(err));
        }
    }
    if (o.waitChatMs > 0) {
        // Little runs of their own (each its own tag), setup only, until a line sent on each
        // port is seen on every other. New connections each time: a client that a cluster
        // daemon accepted before its Redis link was up stays in no room (it is told "! chat is
        // paused", and once the link is up "! you are in no room"), so it would never see one.
        Options p = o;
        p.clients = std::max<int>(2, static_cast<int>(o.ports.size()));
        p.senders = p.clients;
        p.readyIntervalMs = 100;
        p.setupTimeout = 1;
        p.cpuPids.clear();
        p.probe = true;
        auto deadline = Clock::now() + std::chrono::milliseconds(o.waitChatMs);
        while (std::make_unique<ChatLoad>(p)->run(addresses) != 0)
            if (Clock::now() > deadline) die("--wait-chat: no line went round in time");
    }
    if (o.clients == 0) return 0;
    auto load = std::make_unique<ChatLoad>(o);  // heap: a 64 KiB buffer and two histograms
    return load->run(addresses);
}
