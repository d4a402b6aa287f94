// tls_load: echo_load's closed loop over TLS, for TLS echo servers (sockchatd's TLS listener and
// the peers it is compared with, bench/run_tls.sh). One thread, one epoll loop, non-blocking
// sockets, OpenSSL through sockchat::tls (ClientContext verifies the server like sockfetch,
// Stream is the non-blocking session):
//
//   pingpong (default): --connections N sessions are connected, handshaken and warmed up (one
//     round trip each) before the clock starts; then each sends --size bytes, waits for them back
//     (checked byte for byte), records the latency and sends again.
//   handshake: --connections N concurrent loops of connect, full TLS handshake (no session is
//     ever reused: each connection has a fresh SSL object and none is saved), one 16-byte round
//     trip, close_notify and close, then the next connect at once. Reports completed loops per
//     second and the loop time, connect to the last byte back.
//
// The server's certificate is verified against --cacert and its IP address (X509 IP SAN check).
// Output: one line of key=value pairs on stdout, in echo_load's style, for run_tls.sh and humans.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "load_common.h"
#include "sockchat/net/fd.h"
#include "sockchat/tls/client_context.h"
#include "sockchat/tls/error.h"
#include "sockchat/tls/stream.h"

namespace {

using bench::Clock;
using bench::Histogram;
using sockchat::net::Fd;
using sockchat::tls::Io;

struct Options {
    std::string host = "127.0.0.1";
    int port = 0;
    int connections = 1;
    std::size_t size = 16;
    double duration = 5.0;
    bool handshake = false;
    std::string caFile;
    int waitReadyMs = 0;       // poll-connect (plain TCP) until the server answers, before the load
    double setupTimeout = 30;  // pingpong: for every connection's handshake and first round trip
};

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "tls_load: %s\n", what.c_str());
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
        else if (arg == "--cacert")
            o.caFile = value;
        else if (arg == "--wait-ready")
            o.waitReadyMs = static_cast<int>(num());
        else if (arg == "--setup-timeout")
            o.setupTimeout = num();
        else if (arg == "--mode" && (value == "pingpong" || value == "handshake"))
            o.handshake = value == "handshake";
        else {
            std::fprintf(
                stderr,
                "usage: tls_load --port P --cacert CA.pem [--host 127.0.0.1] [--connections 1]\n"
                "  [--mode pingpong|handshake] [--size 16 (pingpong)] [--duration 5]\n"
                "  [--wait-ready MS] [--setup-timeout S]   (--connections 0: only wait)\n");
            std::exit(arg == "--help" ? 0 : 2);
        }
    }
    if (o.port <= 0 || o.port > 65535) die("--port is required (1..65535)");
    if (o.handshake) o.size = 16;  // the one round trip of a handshake loop
    if (o.size == 0 || o.duration <= 0 || o.connections < 0)
        die("bad --size/--duration/--connections");
    if (o.connections > 0 && o.caFile.empty()) die("--cacert is required: the server is verified");
    return o;
}

double cpuSeconds() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    auto secs = [](const timeval& tv) {
        return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
    };
    return secs(ru.ru_utime) + secs(ru.ru_stime);
}

// A connection's life. Pingpong: connect, handshake, one warm-up round trip, park until every
// connection is warm, then round trips during the window; after it, the reply in flight is
// awaited and the session closed. Handshake: connect, handshake, one round trip, close, again.
enum class Phase { connect, handshake, send, receive, parked };

struct Conn {
    Fd fd;
    std::optional<sockchat::tls::Stream> tls;
    Phase phase = Phase::connect;
    bool warm = false;     // pingpong: its warm-up round trip is done
    std::size_t sent = 0;  // bytes of the current request written
    std::size_t got = 0;   // bytes of the current reply read
    std::uint32_t events = 0;
    Clock::time_point openedAt;  // handshake mode: the loop's start
    Clock::time_point sentAt;    // pingpong: the request's start
};

class Load {
  public:
    Load(const Options& o, SSL_CTX* ctx, const sockaddr_storage& ss, socklen_t len)
        : o_(o), ctx_(ctx), ss_(ss), len_(len), conns_(static_cast<std::size_t>(o.connections)) {
        // Printable, position-dependent bytes: a reply shifted or mixed up shows in the check.
        msg_.resize(o.size);
        for (std::size_t i = 0; i < o.size; ++i) msg_[i] = static_cast<char>('a' + i % 26);
    }

    int run() {
        epoll_ = Fd(::epoll_create1(EPOLL_CLOEXEC));
        auto t0 = Clock::now();
        double setupMs = 0;
        if (!o_.handshake) {
            for (std::size_t i = 0; i < conns_.size(); ++i) open(i);
            auto setupDeadline = t0 + std::chrono::duration<double>(o_.setupTimeout);
            while (parked_ < conns_.size()) {
                if (Clock::now() > setupDeadline)
                    die("setup timed out: " + std::to_string(parked_) + "/" +
                        std::to_string(conns_.size()) + " connections completed a round trip");
                poll(100);
            }
            setupMs = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        }
        auto start = Clock::now();
        double cpu0 = cpuSeconds();
        measuring_ = true;
        for (std::size_t i = 0; i < conns_.size(); ++i) o_.handshake ? open(i) : begin(i);
        runUntil(start + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(o_.duration)));
        double secs = std::chrono::duration<double>(Clock::now() - start).count();
        double cpu = (cpuSeconds() - cpu0) / secs;
        measuring_ = false;
        // Replies (pingpong) or loops (handshake) in flight finish, uncounted, then close.
        runUntil(Clock::now() + std::chrono::seconds(1));  // ends early once all are closed
        report(secs, setupMs, cpu);
        return errors_ == 0 ? 0 : 3;
    }

  private:
    void runUntil(Clock::time_point end) {
        for (auto now = Clock::now(); now < end && open_ > 0; now = Clock::now())
            poll(static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(end - now).count()));
    }

    void open(std::size_t i) {
        Conn& c = conns_[i];
        c = Conn{};
        c.openedAt = Clock::now();
        c.fd = Fd(::socket(ss_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!c.fd) die(std::string("socket: ") + std::strerror(errno));
        // Handshake flights and requests are whole writes: Nagle could only add delay.
        int one = 1;
        ::setsockopt(c.fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ++open_;
        epoll_event ev{};
        ev.events = c.events = EPOLLOUT;
        ev.data.u64 = i;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, c.fd.get(), &ev) < 0) die("epoll_ctl(ADD)");
        if (::connect(c.fd.get(), reinterpret_cast<const sockaddr*>(&ss_), len_) < 0) {
            if (errno == EINPROGRESS) return;  // EPOLLOUT says when
            // Refused at once: the server is gone. Counted, and the slot stays closed (a loop
            // that reopened it would spin, or recurse through fail()).
            if (errors_++ == 0)
                std::fprintf(stderr, "tls_load: connect: %s\n", std::strerror(errno));
            if (!o_.handshake) die("a connection failed during setup");
            c.fd.reset();
            --open_;
            return;
        }
        step(i);  // connected at once: straight to the handshake
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
            if (!conns_[i].fd) continue;
            if (conns_[i].phase == Phase::parked) {
                fail(i, "server closed or wrote while the connection was idle");
                continue;
            }
            step(i);
        }
    }

    void begin(std::size_t i) {
        if (!conns_[i].fd) return;
        startRequest(i);
        step(i);
    }

    void startRequest(std::size_t i) {
        Conn& c = conns_[i];
        c.phase = Phase::send;
        c.sent = c.got = 0;
        c.sentAt = Clock::now();
    }

    // Waits for what OpenSSL asked for; false (and the connection failed) for closed or failed.
    bool await(std::size_t i, Io io, const char* during) {
        Conn& c = conns_[i];
        if (io == Io::wantRead) {
            want(i, EPOLLIN);
            return true;
        }
        if (io == Io::wantWrite) {
            want(i, EPOLLOUT);
            return true;
        }
        std::string why =
            std::string(during) + ": " +
            (io == Io::closed ? std::string("server closed the connection") : c.tls->error());
        fail(i, why.c_str());
        return false;
    }

    // Runs the connection's life until it has to wait for the socket.
    void step(std::size_t i) {
        Conn& c = conns_[i];
        for (;;) {
            switch (c.phase) {
                case Phase::connect: {
                    int err = 0;
                    socklen_t len = sizeof err;
                    ::getsockopt(c.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
                    if (err != 0)
                        return fail(i, (std::string("connect: ") + std::strerror(err)).c_str());
                    c.tls.emplace(sockchat::tls::Stream::connect(ctx_, c.fd.get(), o_.host));
                    c.phase = Phase::handshake;
                    break;
                }
                case Phase::handshake: {
                    Io io = c.tls->handshake();
                    if (io != Io::ok) {
                        await(i, io, "handshake");
                        return;
                    }
                    if (version_.empty()) {
                        version_ = c.tls->version();
                        cipher_ = c.tls->cipher();
                        int nid = SSL_get_negotiated_group(c.tls->native());
                        const char* group = nid > 0 ? OBJ_nid2sn(nid) : nullptr;
                        group_ = group ? group : "unknown";
                    }
                    if (SSL_session_reused(c.tls->native()) == 1) ++resumedCount_;
                    startRequest(i);
                    break;
                }
                case Phase::send:
                    while (c.sent < msg_.size()) {
                        std::size_t n = 0;
                        Io io = c.tls->write(msg_.data() + c.sent, msg_.size() - c.sent, &n);
                        if (io != Io::ok) {
                            await(i, io, "write");
                            return;
                        }
                        c.sent += n;
                    }
                    c.phase = Phase::receive;
                    break;
                case Phase::receive: {
                    std::size_t n = 0;
                    Io io = c.tls->read(rx_.data(), rx_.size(), &n);
                    if (io != Io::ok) {
                        await(i, io, "read");
                        return;
                    }
                    if (c.got + n > msg_.size()) return fail(i, "reply longer than the request");
                    if (std::memcmp(rx_.data(), msg_.data() + c.got, n) != 0)
                        return fail(i, "reply is not the request");
                    c.got += n;
                    if (c.got == msg_.size() && !completed(i)) return;
                    break;
                }
                case Phase::parked:
                    return;
            }
        }
    }

    // A full reply is in. True to go on with the connection (its phase set), false when it was
    // closed, parked or replaced.
    bool completed(std::size_t i) {
        Conn& c = conns_[i];
        auto now = Clock::now();
        if (o_.handshake) {
            if (measuring_) {
                loop_.record(nanos(now - c.openedAt));
                ++count_;
            }
            close(i);
            if (measuring_) open(i);
            return false;
        }
        if (!c.warm) {
            c.warm = true;
            c.phase = Phase::parked;  // idle until all are warm: setup stays apart from load
            want(i, EPOLLIN);
            ++parked_;
            return false;
        }
        if (!measuring_) {  // the window is over: this was the reply in flight
            close(i);
            return false;
        }
        loop_.record(nanos(now - c.sentAt));
        ++count_;
        startRequest(i);
        return true;
    }

    static std::uint64_t nanos(Clock::duration d) {
        return static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
    }

    // close_notify, then close: a real client's clean end, which the server sees as such.
    void close(std::size_t i) {
        Conn& c = conns_[i];
        if (c.tls) c.tls->shutdown();
        c.tls.reset();
        c.fd.reset();  // closing also removes it from epoll
        --open_;
    }

    void fail(std::size_t i, const char* why) {
        // Once: a broken server would otherwise print a line per connection.
        if (errors_++ == 0) std::fprintf(stderr, "tls_load: connection %zu: %s\n", i, why);
        Conn& c = conns_[i];
        if (!o_.handshake && !c.warm) die("a connection failed during setup");
        c.tls.reset();  // no close_notify on a broken session
        c.fd.reset();
        --open_;
        if (o_.handshake && measuring_) open(i);  // the loop goes on: errors are counted
    }

    void report(double secs, double setupMs, double cpu) const {
        const char* rate = o_.handshake ? "handshakes" : "requests";
        std::printf("mode=%s connections=%d size=%zu duration_s=%.2f ",
                    o_.handshake ? "handshake" : "pingpong", o_.connections, o_.size, secs);
        if (!o_.handshake) std::printf("setup_ms=%.0f ", setupMs);
        std::printf("%s=%llu %s=%.0f p50_us=%.1f p99_us=%.1f max_us=%.1f ", rate,
                    static_cast<unsigned long long>(count_), o_.handshake ? "hps" : "rps",
                    static_cast<double>(count_) / secs,
                    static_cast<double>(loop_.quantile(0.50)) / 1e3,
                    static_cast<double>(loop_.quantile(0.99)) / 1e3,
                    static_cast<double>(loop_.max()) / 1e3);
        std::printf(
            "tls=%s cipher=%s group=%s resumed=%llu load_cpu=%.2f errors=%llu unclosed=%zu\n",
            version_.empty() ? "none" : version_.c_str(),
            cipher_.empty() ? "none" : cipher_.c_str(), group_.empty() ? "none" : group_.c_str(),
            static_cast<unsigned long long>(resumedCount_), cpu,
            static_cast<unsigned long long>(errors_), open_);
    }

    const Options& o_;
    SSL_CTX* ctx_;
    sockaddr_storage ss_;
    socklen_t len_;
    std::vector<Conn> conns_;
    Fd epoll_;
    std::string msg_;
    std::array<char, 64 * 1024> rx_;
    std::size_t parked_ = 0;
    std::size_t open_ = 0;
    bool measuring_ = false;
    std::uint64_t count_ = 0, errors_ = 0, resumedCount_ = 0;
    std::string version_, cipher_, group_;
    Histogram loop_;
};

}  // namespace

int main(int argc, char** argv) {
    Options o = parseArgs(argc, argv);
    socklen_t len = 0;
    sockaddr_storage ss{};
    if (!bench::resolveNumeric(o.host, o.port, ss, len))
        die("--host must be a numeric IP address: " + o.host);
    if (o.waitReadyMs > 0) {
        if (int err = bench::waitReady(ss, len, o.waitReadyMs); err != 0)
            die(std::string("server not ready: ") + std::strerror(err));
    }
    if (o.connections == 0) return 0;
    try {
        sockchat::tls::ClientOptions options;
        options.caFile = o.caFile;
        sockchat::tls::ClientContext context(options);
        // TLS 1.3 is what every server here negotiates; saying so makes a silent fallback to
        // 1.2 (a different handshake cost) an error instead of a different benchmark.
        SSL_CTX_set_min_proto_version(context.get(), TLS1_3_VERSION);
        // No session cache on the client: every handshake of the loop is a full one.
        SSL_CTX_set_session_cache_mode(context.get(), SSL_SESS_CACHE_OFF);
        auto load = std::make_unique<Load>(o, context.get(), ss, len);  // heap: 64 KiB buffer
        return load->run();
    } catch (const std::exception& e) {
        die(e.what());
    }
}
