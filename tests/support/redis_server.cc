#include "redis_server.h"

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "outside_process.h"
#include "sockchat/net/fd.h"

namespace sockchat::testing {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct ContextFree {
    void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyFree {
    void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextFree>;
using ReplyPtr = std::unique_ptr<redisReply, ReplyFree>;

}  // namespace

RedisServer::RedisServer(Options options) : options_(std::move(options)) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sockchat-redis-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    if (options_.unixSocket)
        socketPath_ = dir_ + "/redis.sock";
    else
        port_ = freeLoopbackPort();
    if (options_.start) start();
}

RedisServer::~RedisServer() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

void RedisServer::start() {
    if (pid_ > 0) throw std::logic_error("redis-server already running");
    if (options_.sentinelOf) {
        // Sentinel keeps its state in its config file, which must therefore be its own.
        std::string conf = dir_ + "/sentinel.conf";
        if (!std::ifstream(conf)) {
            std::ofstream out(conf);
            out << "sentinel monitor mymaster 127.0.0.1 " << options_.sentinelOf << " 2\n"
                << "sentinel down-after-milliseconds mymaster 1000\n"
                << "sentinel failover-timeout mymaster 5000\n"
                << "sentinel parallel-syncs mymaster 1\n";
        }
        pid_ = spawnLogged({REDIS_SERVER_BIN, conf, "--sentinel", "--port", std::to_string(port_),
                            "--bind", "127.0.0.1", "--dir", dir_, "--daemonize", "no"},
                           dir_ + "/redis.log");
        waitReady(10s);
        return;
    }
    // "-::1": IPv6 loopback too where the machine has it; the leading '-' makes it optional.
    std::vector<std::string> args{REDIS_SERVER_BIN, "--save", "", "--appendonly", "no"};
    args.insert(args.end(), {"--dir", dir_, "--daemonize", "no", "--bind", "127.0.0.1", "-::1"});
    if (options_.unixSocket) {
        args.insert(args.end(),
                    {"--port", "0", "--unixsocket", socketPath_, "--unixsocketperm", "700"});
    } else {
        args.insert(args.end(), {"--port", std::to_string(port_)});
    }
    if (!options_.password.empty()) args.insert(args.end(), {"--requirepass", options_.password});
    if (!options_.aclUser.empty())
        args.insert(args.end(), {"--user", options_.aclUser, "on", ">" + options_.aclPassword, "~*",
                                 "&*", "+@all"});
    args.insert(args.end(), options_.extraArgs.begin(), options_.extraArgs.end());
    pid_ = spawnLogged(args, dir_ + "/redis.log");
    waitReady(10s);
}

void RedisServer::waitReady(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("redis-server exited at start:\n" + log());
        }
        timeval tv{0, 200'000};
        ContextPtr c(options_.unixSocket ? redisConnectUnixWithTimeout(socketPath_.c_str(), tv)
                                         : redisConnectWithTimeout("127.0.0.1", port_, tv));
        if (c && !c->err) {
            ReplyPtr r(static_cast<redisReply*>(redisCommand(c.get(), "PING")));
            if (r) return;  // PONG, or NOAUTH: either way it answers
        }
        std::this_thread::sleep_for(10ms);  // polling interval, bounded by the deadline
    }
    throw std::runtime_error("redis-server did not answer PING in time:\n" + log());
}

void RedisServer::stop(bool kill) {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGCONT);  // a paused server cannot act on SIGTERM
    ::kill(pid_, kill ? SIGKILL : SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

void RedisServer::pause() {
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

void RedisServer::resume() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
}

std::string RedisServer::log() const {
    std::ifstream in(dir_ + "/redis.log");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

redis::Target RedisServer::target() const {
    if (options_.unixSocket) return redis::UnixTarget{socketPath_};
    return redis::TcpTarget{"127.0.0.1", port_};
}

redis::Reply RedisServer::command(const std::vector<std::string>& argv) const {
    timeval tv{2, 0};
    ContextPtr c(options_.unixSocket ? redisConnectUnixWithTimeout(socketPath_.c_str(), tv)
                                     : redisConnectWithTimeout("127.0.0.1", port_, tv));
    if (!c || c->err) throw std::runtime_error("cannot reach the test redis-server");
    redisSetTimeout(c.get(), tv);
    auto run = [&](const std::vector<std::string>& words) {
        std::vector<const char*> parts;
        std::vector<std::size_t> lengths;
        for (const auto& w : words) {
            parts.push_back(w.data());
            lengths.push_back(w.size());
        }
        ReplyPtr r(static_cast<redisReply*>(redisCommandArgv(
            c.get(), static_cast<int>(words.size()), parts.data(), lengths.data())));
        if (!r) throw std::runtime_error("test redis-server did not answer");
        return redis::Reply::fromHiredis(*r);
    };
    if (!options_.aclUser.empty())
        run({"AUTH", options_.aclUser, options_.aclPassword});
    else if (!options_.password.empty())
        run({"AUTH", options_.password});
    return run(argv);
}

}  // namespace sockchat::testing
