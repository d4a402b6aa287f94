#include "admin_server.h"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "sockchat/admin/request.h"
#include "sockchat/net/socket.h"

namespace sockchatd {
namespace {

using nlohmann::json;

// A line must be finished within this; a connection with nothing pending goes after the longer.
constexpr auto kPartialLineTimeout = std::chrono::seconds(10);
constexpr auto kIdleTimeout = std::chrono::seconds(60);
constexpr auto kLingerTimeout = std::chrono::seconds(2);

json failure(const std::string& error) {
    return {{"ok", false}, {"error", error}};
}

// Supplementary groups too: an operator added to the group is usually added that way.
bool userInGroup(uid_t uid, gid_t primary, gid_t group) {
    if (primary == group) return true;
    std::vector<char> buf(16 * 1024);
    passwd pw{}, *found = nullptr;
    if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr)
        return false;
    int count = 64;
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    if (::getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &count) < 0) {
        groups.resize(static_cast<std::size_t>(count));
        if (::getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &count) < 0) return false;
    }
    groups.resize(static_cast<std::size_t>(count));
    for (gid_t g : groups)
        if (g == group) return true;
    return false;
}

}  // namespace

AdminServer::AdminServer(sockchat::net::EventLoop& loop, sockchat::log::Logger& logger,
                         Handler handler, gid_t adminGid)
    : loop_(loop),
      logger_(logger),
      handler_(std::move(handler)),
      adminGid_(adminGid),
      alive_(std::make_shared<AdminServer*>(this)) {}

AdminServer::~AdminServer() {
    *alive_ = nullptr;
    while (!clients_.empty()) drop(clients_.begin()->first);
    if (listener_) loop_.unwatch(listener_.get());
}

void AdminServer::listen(sockchat::net::Fd listener) {
    listener_ = std::move(listener);
    loop_.watch(listener_.get(), EPOLLIN, [this](std::uint32_t) { onAcceptable(); });
}

bool AdminServer::authorized(int fd, pid_t* pid, uid_t* uid) const {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return false;
    *pid = cred.pid;
    *uid = cred.uid;
    if (cred.uid == 0 || cred.uid == ::geteuid()) return true;
    return adminGid_ != static_cast<gid_t>(-1) && userInGroup(cred.uid, cred.gid, adminGid_);
}

void AdminServer::onAcceptable() {
    for (int i = 0; i < 16; ++i) {
        sockchat::net::Fd fd(
            ::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd) return;  // EAGAIN, or out of fds: the next readiness tries again
        pid_t pid = 0;
        uid_t uid = 0;
        std::string refusal;
        if (!authorized(fd.get(), &pid, &uid)) {
            refusal = "permission denied";
            logger_.warn("limit", "admin socket: permission denied",
                         {{"uid", static_cast<std::uint64_t>(uid)},
                          {"pid", static_cast<std::int64_t>(pid)},
                          {"reason", "not root, the daemon's user or in admin.group"}});
        } else if (activeClients() >= kMaxClients) {
            refusal = "too many admin connections";
            logger_.warn("limit", "admin socket: too many connections",
                         {{"pid", static_cast<std::int64_t>(pid)},
                          {"limit", static_cast<std::uint64_t>(kMaxClients)}});
        }
        if (!refusal.empty() && clients_.size() >= kMaxClients + kMaxLingering) {
            // One small line into an empty socket buffer: it fits, or the peer is gone.
            std::string line = failure(refusal).dump() + "\n";
            [[maybe_unused]] auto n =
                sockchat::net::sendNoSignal(fd.get(), line.data(), line.size());
            continue;  // closed by fd's destructor
        }
        std::uint64_t id = ++nextId_;
        auto client = std::make_unique<Client>();
        client->fd = std::move(fd);
        int raw = client->fd.get();
        clients_.emplace(id, std::move(client));
        loop_.watch(raw, EPOLLIN, [this, id](std::uint32_t events) { onClientEvent(id, events); });
        armDeadline(id);
        if (!refusal.empty()) {
            clients_.at(id)->closing = true;
            send(id, failure(refusal));  // then lingers, and goes
            continue;
        }
        logger_.debug("admin", "admin client connected",
                      {{"admin_client", id},
                       {"uid", static_cast<std::uint64_t>(uid)},
                       {"pid", static_cast<std::int64_t>(pid)}});
    }
}

void AdminServer::onClientEvent(std::uint64_t id, std::uint32_t events) {
    auto it = clients_.find(id);
    if (it == clients_.end()) return;
    Client& c = *it->second;
    if (events & EPOLLOUT) {
        flush(id);
        if (!clients_.count(id)) return;
    }
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
    char buf[16 * 1024];
    if (c.lingering) {  // discard what a refused or closing client still sends, until EOF
        ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) drop(id);
        return;
    }
    if (c.closing) return;
    ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        drop(id);
        return;
    }
    if (n < 0) return;
    c.input.append(buf, static_cast<std::size_t>(n));
    armDeadline(id);
    handleNextRequest(id);
}

void AdminServer::handleNextRequest(std::uint64_t id) {
    auto it = clients_.find(id);
    if (it == clients_.end()) return;
    Client& c = *it->second;
    if (c.busy || c.closing) return;
    auto framed = sockchat::admin::takeRequest(c.input);
    if (!framed) return updateInterest(id);
    if (framed->kind == sockchat::admin::Framed::Kind::tooLong) {
        // Closed after the error is written: what follows is the rest of the same line.
        c.closing = true;
        send(id, failure(framed->error));
        return;
    }
    if (framed->kind == sockchat::admin::Framed::Kind::malformed) {
        send(id, failure(framed->error));
        return handleNextRequest(id);
    }
    const json& request = framed->request;
    c.busy = true;
    updateInterest(id);  // no more reading until this one is answered
    std::weak_ptr<AdminServer*> alive = alive_;
    bool answered = false;
    handler_(request, [alive, id, answered](json reply) mutable {
        auto self = alive.lock();
        if (!self || !*self || answered) return;
        answered = true;
        AdminServer& server = **self;
        auto client = server.clients_.find(id);
        if (client == server.clients_.end()) return;
        client->second->busy = false;
        server.send(id, reply);
        server.handleNextRequest(id);
    });
}

void AdminServer::send(std::uint64_t id, const json& reply) {
    Client& c = *clients_.at(id);
    // Replies are JSON text: invalid UTF-8 from a client (a nick is sanitised, but be safe) is
    // replaced rather than thrown about.
    c.output += reply.dump(-1, ' ', false, json::error_handler_t::replace);
    c.output += '\n';
    flush(id);
}

void AdminServer::flush(std::uint64_t id) {
    auto it = clients_.find(id);
    if (it == clients_.end()) return;
    Client& c = *it->second;
    while (!c.output.empty()) {
        ssize_t n = sockchat::net::sendNoSignal(c.fd.get(), c.output.data(), c.output.size());
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
        if (n < 0) {
            drop(id);
            return;
        }
        c.output.erase(0, static_cast<std::size_t>(n));
    }
    if (c.output.size() > kMaxUnreadBytes) {
        logger_.warn("limit", "admin client does not read its replies, closing",
                     {{"admin_client", id}, {"pending_bytes", c.output.size()}});
        drop(id);
        return;
    }
    if (c.closing && c.output.empty() && !c.lingering) {
        ::shutdown(c.fd.get(), SHUT_WR);  // the client reads our reply, then EOF
        c.lingering = true;
        armDeadline(id);
    }
    updateInterest(id);
}

std::size_t AdminServer::activeClients() const {
    std::size_t n = 0;
    for (const auto& [id, c] : clients_) n += !c->closing;
    return n;
}

void AdminServer::updateInterest(std::uint64_t id) {
    Client& c = *clients_.at(id);
    std::uint32_t events = 0;
    if ((!c.busy && !c.closing) || c.lingering) events |= EPOLLIN;
    if (!c.output.empty()) events |= EPOLLOUT;
    loop_.modify(c.fd.get(), events);
}

void AdminServer::armDeadline(std::uint64_t id) {
    Client& c = *clients_.at(id);
    if (c.deadline) loop_.cancel(c.deadline);
    bool partial = c.input.find('\n') == std::string::npos && !c.input.empty();
    auto timeout = c.lingering ? kLingerTimeout : partial ? kPartialLineTimeout : kIdleTimeout;
    c.deadline = loop_.runAfter(timeout, [this, id] {
        auto it = clients_.find(id);
        if (it == clients_.end()) return;
        it->second->deadline = 0;
        if (it->second->busy) return armDeadline(id);  // a reload in progress is not idleness
        logger_.debug("admin", "admin client timed out", {{"admin_client", id}});
        drop(id);
    });
}

void AdminServer::drop(std::uint64_t id) {
    auto it = clients_.find(id);
    if (it == clients_.end()) return;
    if (it->second->deadline) loop_.cancel(it->second->deadline);
    loop_.unwatch(it->second->fd.get());
    clients_.erase(it);
}

}  // namespace sockchatd
