// asio_echo: what a C++ user would write instead of running sockchatd's echo, for
// bench/run_echo.sh. Standalone asio (Debian's libasio-dev), the idiomatic asynchronous echo of
// asio's own examples: a session object per connection kept alive by shared_from_this, a fixed
// per-session buffer, async_read_some then async_write of what was read, then read again.
//
//   asio_echo PORT [THREADS]     listens on 127.0.0.1:PORT; THREADS defaults to the online CPUs
//
// Scaled the way asio's documentation suggests for a multi-core server without strands: one
// io_context per thread (no locking inside asio's reactor), each with its own acceptor on the
// same address with SO_REUSEPORT, so the kernel spreads new connections over the threads.
// TCP_NODELAY on accepted sockets, as sockchatd and epoll_echo set it.
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <asio.hpp>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

namespace {

using asio::ip::tcp;
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

class Session : public std::enable_shared_from_this<Session> {
  public:
    explicit Session(tcp::socket socket) : socket_(std::move(socket)) {}

    void start() { read(); }

  private:
    void read() {
        auto self = shared_from_this();
        socket_.async_read_some(asio::buffer(buf_),
                                [this, self](std::error_code ec, std::size_t n) {
                                    if (!ec) write(n);
                                });
    }

    void write(std::size_t n) {
        auto self = shared_from_this();
        asio::async_write(socket_, asio::buffer(buf_, n),
                          [this, self](std::error_code ec, std::size_t) {
                              if (!ec) read();
                          });
    }

    tcp::socket socket_;
    std::array<char, 16 * 1024> buf_;  // asio's example has 1024; this takes a 4 KiB request whole
};

class Server {
  public:
    Server(asio::io_context& io, unsigned short port) : acceptor_(io) {
        tcp::endpoint ep(asio::ip::make_address_v4("127.0.0.1"), port);
        acceptor_.open(ep.protocol());
        acceptor_.set_option(tcp::acceptor::reuse_address(true));
        acceptor_.set_option(ReusePort(true));
        acceptor_.bind(ep);
        acceptor_.listen(asio::socket_base::max_listen_connections);
        accept();
    }

  private:
    void accept() {
        acceptor_.async_accept([this](std::error_code ec, tcp::socket socket) {
            if (!ec) {
                socket.set_option(tcp::no_delay(true), ec);
                std::make_shared<Session>(std::move(socket))->start();
            }
            accept();
        });
    }

    tcp::acceptor acceptor_;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: asio_echo PORT [THREADS]\n");
        return 2;
    }
    int port = std::atoi(argv[1]);
    long threads = argc > 2 ? std::atol(argv[2]) : ::sysconf(_SC_NPROCESSORS_ONLN);
    if (port <= 0 || port > 65535 || threads < 1 || threads > 1024) {
        std::fprintf(stderr, "asio_echo: bad PORT or THREADS (1..1024)\n");
        return 2;
    }
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0) {  // as epoll_echo: as many connections as allowed
        rl.rlim_cur = rl.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &rl);
    }
    try {
        // Every acceptor listens before any thread runs.
        std::vector<std::unique_ptr<asio::io_context>> ios;
        std::vector<std::unique_ptr<Server>> servers;
        for (long t = 0; t < threads; ++t) {
            ios.push_back(std::make_unique<asio::io_context>(1));  // 1: one thread runs it
            servers.push_back(
                std::make_unique<Server>(*ios.back(), static_cast<unsigned short>(port)));
        }
        std::vector<std::thread> pool;
        for (long t = 1; t < threads; ++t)
            pool.emplace_back([&io = *ios[static_cast<std::size_t>(t)]] { io.run(); });
        ios[0]->run();
        for (auto& th : pool) th.join();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "asio_echo: %s\n", e.what());
        return 1;
    }
}
