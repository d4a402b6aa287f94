// echo_load: a closed-loop load generator for echo servers (sockchatd, and the peers it is
// compared with). One thread, one epoll loop, non-blocking sockets: the generator must cost far
// less per request than the servers it measures, or it would measure itself.
//
//   pingpong (default): each connection sends --size bytes, waits for --prefix-len + --size bytes
//     back (the echo's "hello " prefix, if any), checks them, records the latency, sends again.
//   stream: each connection writes --size-byte chunks as fast as the socket takes them and reads
//     whatever comes back; reports bulk throughput only.
//   storm: --connections concurrent loops of connect, one --size-byte round trip (checked), close,
//     and the next connect at once; reports completed loops per second and the loop's latency
//     (connect to the last byte back). Ends after --duration, or after --count loops if given.
//   idle: opens --connections connections, one round trip each (so the server has accepted and
//     registered every one), prints an `idle_ready` line, holds them open for --hold seconds
//     (for the caller to measure the server's memory meanwhile), closes them and reports.
//
// Every connection first completes one round trip (connect, accept, fork or thread start all
// happen there), and only then does the measured window start, so setup costs (a fork per
// connection, a small listen backlog) are reported apart from steady-state speed.
// Output: one line of key=value pairs on stdout, for bench/run.sh and for humans.
// RLIMIT_NOFILE is raised to its hard limit first: thousands of connections need as many fds.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
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

// This process's CPU time (user + system), in seconds: load_cpu= in the output is its share of
// the window, near 1.0 meaning the generator, not the server, was the limit.
double cpuSeconds() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

using bench::Clock;
using bench::Histogram;
using sockchat::net::Fd;

struct Options {
    std::string host = "127.0.0.1";
    int port = 0;
    int connections = 1;
    std::size_t size = 64;
    double duration = 5.0;
    std::size_t prefixLen = 0;
    enum class Mode { pingpong, stream, storm, idle } mode = Mode::pingpong;
    bool stream = false;       // mode == stream
    long long count = 0;       // storm: stop after this many loops (0: --duration only)
    double hold = 10;          // idle: seconds to hold the connections open
    int waitReadyMs = 0;       // poll-connect until the server answers, before the load
    double setupTimeout = 15;  // for every connection's first round trip
};

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "echo_load: %s\n", what.c_str());
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
        if (arg == "--host")
            o.host = value;
        else if (arg == "--port")
            o.port = static_cast<int>(num());
        else if (arg == "--connections")
            o.connections = static_cast<int>(num());
        else if (arg == "--size")
            o.size = static_cast<std::size_t>(num());
        else if (arg == "--duration")
            o.duration = num();
        else if (arg == "--prefix-len")
            o.prefixLen = static_cast<std::size_t>(num());
        else if (arg == "--wait-ready")
            o.waitReadyMs = static_cast<int>(num());
        else if (arg == "--setup-timeout")
            o.setupTimeout = num();
        else if (arg == "--count")
            o.count = static_cast<long long>(num());
        else if (arg == "--hold")
            o.hold = num();
        else if (arg == "--mode" && (value == "pingpong" || value == "stream" || value == "storm" ||
                                     value == "idle")) {
            o.mode = value == "pingpong" ? Options::Mode::pingpong
                     : value == "stream" ? Options::Mode::stream
                     : value == "storm"  ? Options::Mode::storm
                                         : Options::Mode::idle;
            o.stream = o.mode == Options::Mode::stream;
        } else {
            std::fprintf(
                stderr,
                "usage: echo_load --port P [--host 127.0.0.1] [--connections 1] [--size 64]\n"
                "  [--duration 5] [--prefix-len 0] [--mode pingpong|stream|storm|idle]\n"
                "  [--count N (storm)] [--hold S (idle)]\n"
                "  [--wait-ready MS] [--setup-timeout S]   (--connections 0: only wait)\n"
                "       echo_load --free-port   (prints a free port on 127.0.0.1)\n");
            std::exit(arg == "--help" ? 0 : 2);
        }
    }
    if (o.port <= 0 || o.port > 65535) die("--port is required (1..65535)");
    if (o.size == 0 || o.duration <= 0 || o.connections < 0)
        die("bad --size/--duration/--connections");
    return o;
}

sockaddr_storage resolve(const Options& o, socklen_t& len) {
    sockaddr_storage ss{};
    if (!bench::resolveNumeric(o.host, o.port, ss, len))
        die("--host must be a numeric IP address: " + o.host);
    return ss;
}

void waitReady(const sockaddr_storage& ss, socklen_t len, int ms) {
    if (int err = bench::waitReady(ss, len, ms); err != 0)
        die(std::string("server not ready: ") + std::strerror(err));
}

// A connection's life: connect, one warm-up round trip, park until every connection is warm,
// run during the window, then drain (finish the reply in flight, or half-close and read the
// stream to its end) so the server sees a clean close and not a reset mid-reply.
enum class State { connecting, warming, parked, running, draining };

struct Conn {
    Fd fd;
    State state = State::connecting;
    std::size_t sent = 0;  // bytes of the current request written (stream: offset in the chunk)
    std::size_t got = 0;   // bytes of the current reply read
    std::uint32_t events = 0;
    Clock::time_point sentAt;
};

class Load {
  public:
    explicit Load(const Options& o) : o_(o), conns_(static_cast<std::size_t>(o.connections)) {
        // Printable, position-dependent bytes: a reply shifted or mixed up shows in the check.
        msg_.resize(o.size);
        for (std::size_t i = 0; i < o.size; ++i) msg_[i] = static_cast<char>('a' + i % 26);
        // Stream mode's only round trip is the warm-up: one byte, so that a server which splits
        // a large write into several prefixed replies cannot make it ambiguous.
        requestLen_ = o.stream ? 1 : o.size;
        expected_ = o.prefixLen + requestLen_;
    }

    int run(const sockaddr_storage& ss, socklen_t len) {
        epoll_ = Fd(::epoll_create1(EPOLL_CLOEXEC));
        auto t0 = Clock::now();
        for (std::size_t i = 0; i < conns_.size(); ++i) open(i, ss, len);
        open_ = conns_.size();
        auto setupDeadline = t0 + std::chrono::duration<double>(o_.setupTimeout);
        while (parked_ < conns_.size()) {
            if (Clock::now() > setupDeadline)
                die("setup timed out: " + std::to_string(parked_) + "/" +
                    std::to_string(conns_.size()) + " connections completed a round trip");
            poll(100);
        }
        auto start = Clock::now();
        double setupMs = std::chrono::duration<double, std::milli>(start - t0).count();
        if (o_.mode == Options::Mode::idle) return idle(setupMs);
        measuring_ = true;
        double cpu0 = cpuSeconds();
        for (std::size_t i = 0; i < conns_.size(); ++i) begin(i);
        runUntil(start + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(o_.duration)));
        double secs = std::chrono::duration<double>(Clock::now() - start).count();
        loadCpu_ = (cpuSeconds() - cpu0) / secs;
        measuring_ = false;
        for (std::size_t i = 0; i < conns_.size(); ++i) drain(i);
        runUntil(Clock::now() + std::chrono::seconds(1));  // ends early once all are closed
        report(secs, setupMs);
        return errors_ == 0 ? 0 : 3;
    }

  private:
    // Idle mode: every connection is open and has had its round trip; hold them, then close.
    int idle(double setupMs) {
        std::printf("idle_ready connections=%d setup_ms=%.0f\n", o_.connections, setupMs);
        std::fflush(stdout);
        auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(o_.hold));
        // Keep watching: a connection the server closes meanwhile is an error to report.
        while (Clock::now() < end && errors_ == 0) poll(100);
        std::size_t stillOpen = open_;
        for (std::size_t i = 0; i < conns_.size(); ++i)
            if (conns_[i].fd) close(i);
        std::printf(
            "mode=idle connections=%d setup_ms=%.0f hold_s=%.1f still_open=%zu errors=%llu\n",
            o_.connections, setupMs, o_.hold, stillOpen, static_cast<unsigned long long>(errors_));
        return errors_ == 0 ? 0 : 3;
    }

    void runUntil(Clock::time_point end) {
        for (auto now = Clock::now(); now < end && open_ > 0; now = Clock::now())
            poll(static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(end - now).count()));
    }

    void open(std::size_t i, const sockaddr_storage& ss, socklen_t len) {
        Conn& c = conns_[i];
        c.fd = Fd(::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!c.fd) die(std::string("socket: ") + std::strerror(errno));
        // Requests are single small writes: Nagle could only add delay, never save a packet.
        int one = 1;
        ::setsockopt(c.fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (::connect(c.fd.get(), reinterpret_cast<const sockaddr*>(&ss), len) < 0 &&
            errno != EINPROGRESS)
            die(std::string("connect: ") + std::strerror(errno));
        epoll_event ev{};
        ev.events = c.events = EPOLLOUT;
        ev.data.u64 = i;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, c.fd.get(), &ev) < 0) die("epoll_ctl(ADD)");
    }

    void want(std::size_t i, std::uint32_t events) {
        Conn& c = conns_[i];
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
            std::size_t i = evs[k].data.u64;
            if (conns_[i].fd) onEvents(i, evs[k].events);
        }
    }

    bool streaming(const Conn& c) const { return o_.stream && c.state == State::running; }

    void onEvents(std::size_t i, std::uint32_t events) {
        Conn& c = conns_[i];
        if (c.state == State::connecting) {
            int err = 0;
            socklen_t len = sizeof err;
            ::getsockopt(c.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0) die(std::string("connect: ") + std::strerror(err));
            c.state = State::warming;
            startRequest(i);
            return;
        }
        if (events & EPOLLIN) onReadable(i);
        if ((events & EPOLLOUT) && c.fd) streaming(c) ? pump(i) : sendRest(i);
        if ((events & (EPOLLHUP | EPOLLERR)) && c.fd && !(events & EPOLLIN)) fail(i, "hang-up");
    }

    void begin(std::size_t i) {
        Conn& c = conns_[i];
        if (!c.fd) return;
        c.state = State::running;
        if (o_.stream) {
            c.sent = 0;
            want(i, EPOLLIN | EPOLLOUT);
        } else {
            startRequest(i);
        }
    }

    void drain(std::size_t i) {
        Conn& c = conns_[i];
        if (!c.fd) return;
        c.state = State::draining;
        if (o_.stream) {
            // Half-close: the server answers what it has, sees EOF and closes; we read to EOF.
            ::shutdown(c.fd.get(), SHUT_WR);
            want(i, EPOLLIN);
        }
    }

    void close(std::size_t i) {
        conns_[i].fd.reset();  // closing also removes it from epoll
        --open_;
    }

    void startRequest(std::size_t i) {
        Conn& c = conns_[i];
        c.sent = c.got = 0;
        c.sentAt = Clock::now();
        sendRest(i);
    }

    void sendRest(std::size_t i) {
        Conn& c = conns_[i];
        while (c.sent < requestLen_) {
            ssize_t n =
                ::send(c.fd.get(), msg_.data() + c.sent, requestLen_ - c.sent, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) break;
                return fail(i, std::strerror(errno));
            }
            c.sent += static_cast<std::size_t>(n);
            if (measuring_) txBytes_ += static_cast<std::uint64_t>(n);
        }
        want(i, c.sent < requestLen_ ? EPOLLIN | EPOLLOUT : EPOLLIN);
    }

    // Stream mode: keep the socket's send buffer full; the server's echo comes back on EPOLLIN.
    // A few writes per event at most: a server that drains as fast as we write would otherwise
    // keep us here forever, never reading its echo (nor serving the other connections).
    void pump(std::size_t i) {
        Conn& c = conns_[i];
        for (int writes = 0; writes < 4; ++writes) {
            ssize_t n =
                ::send(c.fd.get(), msg_.data() + c.sent, msg_.size() - c.sent, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) return;
                return fail(i, std::strerror(errno));
            }
            c.sent = (c.sent + static_cast<std::size_t>(n)) % msg_.size();
            if (measuring_) txBytes_ += static_cast<std::uint64_t>(n);
        }
    }

    void onReadable(std::size_t i) {
        Conn& c = conns_[i];
        bool bulk = o_.stream && (c.state == State::running || c.state == State::draining);
        for (;;) {
            ssize_t n = ::recv(c.fd.get(), rx_.data(), rx_.size(), 0);
            if (n == 0) {
                if (bulk && c.state == State::draining) return close(i);
                return fail(i, "server closed the connection");
            }
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) return;
                return fail(i, std::strerror(errno));
            }
            auto bytes = static_cast<std::size_t>(n);
            if (measuring_) rxBytes_ += bytes;
            if (bulk) continue;
            if (c.got + bytes > expected_)
                return fail(i, "reply longer than --prefix-len + --size (server split a read?)");
            // The reply is prefix + request: check the request part against what was sent.
            std::size_t from = std::max(c.got, o_.prefixLen);
            std::size_t to = c.got + bytes;
            if (from < to && std::memcmp(rx_.data() + (from - c.got),
                                         msg_.data() + (from - o_.prefixLen), to - from) != 0)
                return fail(i, "reply is not prefix + request (server split a read?)");
            c.got = to;
            // Level-triggered: returning right after a full reply saves the recv that would
            // only say EAGAIN (the next reply cannot be there before the next request is).
            if (c.got == expected_) return completed(i);
        }
    }

    void completed(std::size_t i) {
        Conn& c = conns_[i];
        switch (c.state) {
            case State::warming:
                c.state = State::parked;  // idle until all are warm: setup stays apart from load
                ++parked_;
                return;
            case State::running:
                if (measuring_) {
                    latency_.record(static_cast<std::uint64_t>(
                        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() -
                                                                             c.sentAt)
                            .count()));
                    ++requests_;
                }
                return startRequest(i);
            default:  // draining: the last reply is in, nothing unread, so close sends a FIN
                return close(i);
        }
    }

    void fail(std::size_t i, const char* why) {
        // Once: a broken server would otherwise print a line per connection.
        if (errors_++ == 0) std::fprintf(stderr, "echo_load: connection %zu: %s\n", i, why);
        if (conns_[i].state == State::warming || conns_[i].state == State::connecting)
            die("a connection failed during setup");
        close(i);
    }

    void report(double secs, double setupMs) const {
        constexpr double kMiB = 1024.0 * 1024.0;
        std::printf("mode=%s connections=%d size=%zu prefix_len=%zu duration_s=%.2f setup_ms=%.0f ",
                    o_.stream ? "stream" : "pingpong", o_.connections, o_.size, o_.prefixLen, secs,
                    setupMs);
        if (!o_.stream)
            std::printf("requests=%llu rps=%.0f p50_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f ",
                        static_cast<unsigned long long>(requests_),
                        static_cast<double>(requests_) / secs,
                        static_cast<double>(latency_.quantile(0.50)) / 1e3,
                        static_cast<double>(latency_.quantile(0.99)) / 1e3,
                        static_cast<double>(latency_.quantile(0.999)) / 1e3,
                        static_cast<double>(latency_.max()) / 1e3);
        std::printf("tx_mib_s=%.2f rx_mib_s=%.2f errors=%llu unclosed=%zu load_cpu=%.2f\n",
                    static_cast<double>(txBytes_) / kMiB / secs,
                    static_cast<double>(rxBytes_) / kMiB / secs,
                    static_cast<unsigned long long>(errors_), open_, loadCpu_);
    }

    const Options& o_;
    std::vector<Conn> conns_;
    Fd epoll_;
    std::string msg_;
    std::size_t requestLen_;
    std::size_t expected_;
    std::array<char, 64 * 1024> rx_;
    std::size_t parked_ = 0;
    std::size_t open_ = 0;
    bool measuring_ = false;
    double loadCpu_ = 0;
    std::uint64_t requests_ = 0, rxBytes_ = 0, txBytes_ = 0, errors_ = 0;
    Histogram latency_;
};

// Storm mode: --connections slots, each a loop of connect, one request, its reply (checked),
// close, and at once the next connect. The client closes first, so the TIME_WAIT is ours: on
// loopback, Linux's default net.ipv4.tcp_tw_reuse=2 lets connect() reuse such ports after a
// second, so ~28 000 ephemeral ports sustain a storm well beyond that many loops per second.
// A failed loop (refused, reset, closed early, wrong bytes) counts in errors= and its slot
// starts over; the first failure of each kind is printed.
class Storm {
  public:
    explicit Storm(const Options& o) : o_(o), slots_(static_cast<std::size_t>(o.connections)) {
        msg_.resize(o.size);
        for (std::size_t i = 0; i < o.size; ++i) msg_[i] = static_cast<char>('a' + i % 26);
        expected_ = o.prefixLen + o.size;
    }

    int run(const sockaddr_storage& ss, socklen_t len) {
        ss_ = ss;
        len_ = len;
        epoll_ = Fd(::epoll_create1(EPOLL_CLOEXEC));
        auto start = Clock::now();
        double cpu0 = cpuSeconds();
        auto end = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(o_.duration));
        for (std::size_t i = 0; i < slots_.size(); ++i) open(i);
        std::array<epoll_event, 256> evs;
        for (auto now = Clock::now(); now < end && !(o_.count > 0 && completed_ >= o_.count);
             now = Clock::now()) {
            int ms =
                static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(end - now).count());
            if (!retry_.empty()) ms = std::min(ms, 1);
            int n = ::epoll_wait(epoll_.get(), evs.data(), static_cast<int>(evs.size()), ms);
            if (n < 0 && errno != EINTR) die(std::string("epoll_wait: ") + std::strerror(errno));
            for (int k = 0; k < n; ++k) onEvents(evs[k].data.u64, evs[k].events);
            std::vector<std::size_t> again;
            again.swap(retry_);
            for (std::size_t i : again) open(i);
        }
        double secs = std::chrono::duration<double>(Clock::now() - start).count();
        double loadCpu = (cpuSeconds() - cpu0) / secs;
        std::size_t inFlight = 0;
        for (auto& sl : slots_)
            if (sl.fd) {
                ++inFlight;
                sl.fd.reset();
            }
        std::printf(
            "mode=storm connections=%d size=%zu prefix_len=%zu duration_s=%.2f completed=%llu "
            "cps=%.0f p50_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f errors=%llu unclosed=%zu "
            "load_cpu=%.2f\n",
            o_.connections, o_.size, o_.prefixLen, secs,
            static_cast<unsigned long long>(completed_), static_cast<double>(completed_) / secs,
            static_cast<double>(latency_.quantile(0.50)) / 1e3,
            static_cast<double>(latency_.quantile(0.99)) / 1e3,
            static_cast<double>(latency_.quantile(0.999)) / 1e3,
            static_cast<double>(latency_.max()) / 1e3, static_cast<unsigned long long>(errors_),
            inFlight, loadCpu);
        return errors_ == 0 ? 0 : 3;
    }

  private:
    struct Slot {
        Fd fd;
        bool connected = false;
        std::size_t sent = 0, got = 0;
        Clock::time_point startedAt;
    };

    void open(std::size_t i) {
        Slot& sl = slots_[i];
        sl = Slot{};
        sl.startedAt = Clock::now();
        sl.fd = Fd(::socket(ss_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!sl.fd) die(std::string("socket: ") + std::strerror(errno));
        int one = 1;
        ::setsockopt(sl.fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (::connect(sl.fd.get(), reinterpret_cast<const sockaddr*>(&ss_), len_) < 0 &&
            errno != EINPROGRESS) {
            // EADDRNOTAVAIL (no free port) or the like: count it, and the slot tries again
            // after the next (at most 1 ms) wait, so a broken setup cannot spin.
            int err = errno;
            sl.fd.reset();
            note(std::strerror(err));
            retry_.push_back(i);
            return;
        }
        epoll_event ev{};
        ev.events = EPOLLOUT;
        ev.data.u64 = i;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, sl.fd.get(), &ev) < 0) die("epoll_ctl(ADD)");
    }

    void note(const char* why) {
        if (errors_++ == 0 || seen_.find(why) == std::string::npos) {
            std::fprintf(stderr, "echo_load: storm: %s\n", why);
            seen_ += why;
            seen_ += '\n';
        }
    }

    void fail(std::size_t i, const char* why) {
        note(why);
        slots_[i].fd.reset();
        open(i);
    }

    void onEvents(std::size_t i, std::uint32_t events) {
        Slot& sl = slots_[i];
        if (!sl.fd) return;
        if (!sl.connected) {
            int err = 0;
            socklen_t len = sizeof err;
            ::getsockopt(sl.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0) return fail(i, std::strerror(err));
            sl.connected = true;
            return sendRest(i);
        }
        if (events & EPOLLIN) return onReadable(i);
        if (events & EPOLLOUT) return sendRest(i);
        if (events & (EPOLLHUP | EPOLLERR)) return fail(i, "hang-up");
    }

    void sendRest(std::size_t i) {
        Slot& sl = slots_[i];
        while (sl.sent < msg_.size()) {
            ssize_t n =
                ::send(sl.fd.get(), msg_.data() + sl.sent, msg_.size() - sl.sent, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) break;
                return fail(i, std::strerror(errno));
            }
            sl.sent += static_cast<std::size_t>(n);
        }
        epoll_event ev{};
        ev.events = sl.sent < msg_.size() ? EPOLLIN | EPOLLOUT : EPOLLIN;
        ev.data.u64 = i;
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, sl.fd.get(), &ev);
    }

    void onReadable(std::size_t i) {
        Slot& sl = slots_[i];
        for (;;) {
            ssize_t n = ::recv(sl.fd.get(), rx_.data(), rx_.size(), 0);
            if (n == 0) return fail(i, "server closed the connection before the reply");
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) return;
                return fail(i, std::strerror(errno));
            }
            auto bytes = static_cast<std::size_t>(n);
            if (sl.got + bytes > expected_) return fail(i, "reply longer than expected");
            std::size_t from = std::max(sl.got, o_.prefixLen), to = sl.got + bytes;
            if (from < to && std::memcmp(rx_.data() + (from - sl.got),
                                         msg_.data() + (from - o_.prefixLen), to - from) != 0)
                return fail(i, "reply is not prefix + request");
            sl.got = to;
            if (sl.got == expected_) break;
        }
        latency_.record(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - sl.startedAt)
                .count()));
        ++completed_;
        sl.fd.reset();  // everything read, so close() sends a FIN, not a reset
        open(i);
    }

    const Options& o_;
    std::vector<Slot> slots_;
    std::vector<std::size_t> retry_;  // slots whose connect() failed at once
    sockaddr_storage ss_{};
    socklen_t len_ = 0;
    Fd epoll_;
    std::string msg_, seen_;
    std::size_t expected_;
    std::array<char, 64 * 1024> rx_;
    long long completed_ = 0;
    std::uint64_t errors_ = 0;
    Histogram latency_;
};

void raiseFdLimit() {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &rl);
    }
}

// `echo_load --free-port`: prints a port free on 127.0.0.1 now (the kernel's pick for port 0), for
// scripts: a Python one-liner costs half a second to start on a loaded machine.
int printFreePort() {
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), len) < 0 ||
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len) < 0)
        die(std::string("--free-port: ") + std::strerror(errno));
    std::printf("%d\n", ntohs(sa.sin_port));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && std::string_view(argv[1]) == "--free-port") return printFreePort();
    Options o = parseArgs(argc, argv);
    raiseFdLimit();
    socklen_t len = 0;
    sockaddr_storage ss = resolve(o, len);
    if (o.waitReadyMs > 0) waitReady(ss, len, o.waitReadyMs);
    if (o.connections == 0) return 0;
    if (o.mode == Options::Mode::storm) {
        auto storm = std::make_unique<Storm>(o);
        return storm->run(ss, len);
    }
    auto load = std::make_unique<Load>(o);  // heap: holds a 64 KiB buffer and the histogram
    return load->run(ss, len);
}
