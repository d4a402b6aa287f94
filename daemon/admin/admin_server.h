#pragma once
// AdminServer: the admin socket's connections, on the control loop (daemon/admin/PROTOCOL.md).
// It frames requests (one JSON object per line, at most 64 KiB), decides who may ask
// (SO_PEERCRED: root, the daemon's user, members of admin.group), answers one request at a time
// per connection in order, and bounds what a hostile or broken client can cost: 16 connections,
// 10 s to finish a line, 4 MiB of unread replies. What a command does is the handler's business.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "sockchat/log/logger.h"
#include "sockchat/net/event_loop.h"
#include "sockchat/net/fd.h"

namespace sockchatd {

class AdminServer {
  public:
    // Sends the reply to a request; may be called later (a command that asks the workers), at
    // most once, on the control loop. Harmless if the client has gone meanwhile.
    using Reply = std::function<void(nlohmann::json)>;
    // Runs a well-formed request (an object with a string "cmd").
    using Handler = std::function<void(const nlohmann::json& request, Reply reply)>;

    static constexpr std::size_t kMaxClients = 16;
    static constexpr std::size_t kMaxUnreadBytes = 4 * 1024 * 1024;
    // Refused and closing connections that linger, on top of kMaxClients; beyond it a refused
    // one is closed at once.
    static constexpr std::size_t kMaxLingering = 64;

    // adminGid: members of this group are served (-1: none besides root and our own user).
    AdminServer(sockchat::net::EventLoop& loop, sockchat::log::Logger& logger, Handler handler,
                gid_t adminGid);
    ~AdminServer();
    AdminServer(const AdminServer&) = delete;
    AdminServer& operator=(const AdminServer&) = delete;

    void listen(sockchat::net::Fd listener);

  private:
    struct Client {
        sockchat::net::Fd fd;
        std::string input;     // bytes of requests not yet handled
        std::string output;    // replies not yet written
        bool busy = false;     // a request is being handled: the next one waits
        bool closing = false;  // no more requests: write the output, then linger
        // Output written and our side shut: reading (and discarding) until the peer closes, for
        // a moment, so that a client still sending its request gets EOF after our reply
        // instead of EPIPE before reading it.
        bool lingering = false;
        sockchat::net::EventLoop::TimerId deadline = 0;
    };

    void onAcceptable();
    bool authorized(int fd, pid_t* pid, uid_t* uid) const;
    void onClientEvent(std::uint64_t id, std::uint32_t events);
    void handleNextRequest(std::uint64_t id);
    void send(std::uint64_t id, const nlohmann::json& reply);
    void flush(std::uint64_t id);
    void updateInterest(std::uint64_t id);
    void armDeadline(std::uint64_t id);
    void drop(std::uint64_t id);
    std::size_t activeClients() const;  // not closing

    sockchat::net::EventLoop& loop_;
    sockchat::log::Logger& logger_;
    Handler handler_;
    gid_t adminGid_;
    sockchat::net::Fd listener_;
    std::uint64_t nextId_ = 0;
    std::map<std::uint64_t, std::unique_ptr<Client>> clients_;
    // The handler's replies outlive nothing: they check this token before touching the server.
    std::shared_ptr<AdminServer*> alive_;
};

}  // namespace sockchatd
