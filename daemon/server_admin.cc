// Server: the admin socket (daemon/admin/PROTOCOL.md). It is served on the control loop; what
// lives on the workers (connections, chat sessions) is asked for by posting to each worker and
// gathering the answers back on the control loop.
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>

#include "server.h"
#include "sockchat/admin/request.h"
#include "sockchat/chat/names.h"
#include "sockchat/chat/sanitize.h"
#include "sockchat/log/logger.h"

namespace sockchatd {
namespace {

using nlohmann::json;

json failure(const std::string& error) {
    return {{"ok", false}, {"error", error}};
}

using sockchat::admin::flagArg;
using sockchat::admin::stringArg;

std::string withHash(const std::string& room) {
    return room.empty() || room.front() == '#' ? room : "#" + room;
}

// admin.group's id; -1 when it is "" (our own group serves) or does not exist (said in *warning).
gid_t adminGroupId(const std::string& name, std::string* warning) {
    if (name.empty()) return ::getegid();
    std::vector<char> buf(16 * 1024);
    group gr{}, *found = nullptr;
    if (::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) == 0 && found)
        return gr.gr_gid;
    *warning = "admin.group " + name +
               " does not exist: only root and the daemon's own user may use the admin socket";
    return static_cast<gid_t>(-1);
}

}  // namespace

int Server::startAdmin() {
    const std::string& path = config_.admin.socket;
    if (path.empty()) return kExitOk;
    std::string warning;
    gid_t gid = adminGroupId(config_.admin.group, &warning);
    AdminSocketResult opened = openAdminSocket(path, gid);
    if (opened.status == AdminSocketResult::Status::refused) {
        std::fprintf(stderr, "sockchatd: admin.socket: %s\n", opened.message.c_str());
        return kExitOsError;
    }
    if (opened.status == AdminSocketResult::Status::unavailable) {
        logger_.warn("admin",
                     "no admin socket: " + opened.message +
                         " (sockctl's admin commands cannot reach this daemon; set admin.socket "
                         "to a writable path, or \"\")",
                     {{"socket", path}});
        return kExitOk;
    }
    if (!warning.empty()) logger_.warn("admin", warning, {{"group", config_.admin.group}});
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) adminFile_ = AdminSocketFile(path, st.st_ino);
    admin_ = std::make_unique<AdminServer>(
        control_, logger_,
        [this](const json& request, AdminServer::Reply reply) {
            handleAdmin(request, std::move(reply));
        },
        gid);
    admin_->listen(std::move(opened.fd));
    logger_.info("listen", "", {{"listener", path}, {"service", "admin"}});
    return kExitOk;
}

template <class T>
void Server::askWorkers(std::function<void(Worker&, std::function<void(T)>)> ask,
                        std::function<void(std::vector<T>)> done) {
    struct Gathering {
        std::vector<T> answers;
        std::size_t missing;
        std::function<void(std::vector<T>)> done;
    };
    auto gathering = std::make_shared<Gathering>(
        Gathering{std::vector<T>(workers_.size()), workers_.size(), std::move(done)});
    if (workers_.empty()) return gathering->done({});
    for (std::size_t i = 0; i < workers_.size(); ++i)
        ask(*workers_[i], [this, gathering, i](T answer) {
            control_.post([gathering, i, answer = std::move(answer)]() mutable {
                gathering->answers[i] = std::move(answer);
                if (--gathering->missing == 0) gathering->done(std::move(gathering->answers));
            });
        });
}

void Server::handleAdmin(const json& request, AdminServer::Reply reply) {
    const std::string cmd = request["cmd"].get<std::string>();
    logger_.debug("admin", "admin command", {{"cmd", cmd}});
    if (cmd == "status") return adminStatus(std::move(reply));
    if (cmd == "clients") return adminClients(request, std::move(reply));
    if (cmd == "rooms") return adminRooms(std::move(reply));
    if (cmd == "kick") return adminKick(request, std::move(reply));
    if (cmd == "say") return adminSay(request, std::move(reply));
    if (cmd == "reload") return adminReload(std::move(reply));
    if (cmd == "log-level") return adminLogLevel(request, std::move(reply));
    if (cmd == "metrics") return reply({{"ok", true}, {"text", renderMetrics()}});
    if (cmd == "stop") {
        if (!shuttingDown_) {
            logger_.info("shutdown", "stop asked on the admin socket", {});
            beginShutdown("admin stop");
        }
        return reply({{"ok", true}});
    }
    reply(failure("unknown command: " + cmd +
                  " (status, clients, rooms, kick, say, reload, log-level, stop, metrics)"));
}

void Server::adminStatus(AdminServer::Reply reply) {
    using Counts = std::map<std::string, std::size_t>;
    askWorkers<Counts>(
        [](Worker& w, std::function<void(Counts)> answer) { w.countByListener(std::move(answer)); },
        [this, reply = std::move(reply)](std::vector<Counts> perWorker) {
            Counts byListener;
            std::size_t open = 0;
            for (const auto& counts : perWorker)
                for (const auto& [name, n] : counts) {
                    byListener[name] += n;
                    open += n;
                }
            json listeners = json::array();
            for (const auto& l : listeners_) {
                // The certificate new connections get: after a renewal and a reload, the
                // operator sees here that the new one is in use.
                json tls = nullptr;
                if (auto context = l->tls.load())
                    tls = {{"certificate", context->settings().certificate},
                           {"subject", context->subject()},
                           {"serial", context->serial()},
                           {"not_after", context->notAfter()}};
                listeners.push_back({{"service", sockchat::config::serviceName(l->service)},
                                     {"address", *l->name},
                                     {"connections", byListener[*l->name]},
                                     {"tls", std::move(tls)}});
            }
            std::uint64_t in = 0, out = 0, messages = 0;
            std::array<std::uint64_t, kDropReasons.size()> dropped{};
            for (const auto& w : workers_) {
                const WorkerStats& s = w->stats();
                in += s.bytesIn.load(std::memory_order_relaxed);
                out += s.bytesOut.load(std::memory_order_relaxed);
                messages += s.chatMessages.load(std::memory_order_relaxed);
                for (std::size_t i = 0; i < kDropReasons.size(); ++i)
                    dropped[i] += s.dropped[i].load(std::memory_order_relaxed);
            }
            json droppedJson = json::object();
            for (std::size_t i = 0; i < kDropReasons.size(); ++i)
                droppedJson[std::string(kDropReasons[i])] = dropped[i];
            auto rooms = chat_.backend->roomStats();  // the same rooms `rooms` lists
            json cluster = nullptr;
            if (chat_.cluster)
                cluster = {{"state", chat_.cluster->stats().up ? "up" : "down"},
                           {"node", config_.cluster.node},
                           {"link", chat_.backend->linkStatus()}};
            reply({{"ok", true},
                   {"version", SOCKCHAT_VERSION},
                   {"pid", ::getpid()},
                   {"uptime_seconds",
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - started_)
                        .count()},
                   {"config", configPath_},
                   {"reload_error", lastReloadError_},
                   {"threads", workers_.size()},
                   {"log_level", sockchat::log::levelName(logger_.level())},
                   {"listeners", std::move(listeners)},
                   {"connections", open},
                   {"totals",
                    {{"accepted", shared_.acceptedTotal.load()},
                     {"refused", shared_.refusedTotal.load()},
                     {"bytes_in", in},
                     {"bytes_out", out},
                     {"chat_messages", messages},
                     {"dropped", std::move(droppedJson)}}},
                   {"rooms", rooms ? rooms->size() : chat_.backend->roomCount()},
                   {"cluster", std::move(cluster)}});
        });
}

void Server::adminClients(const json& request, AdminServer::Reply reply) {
    std::string service = stringArg(request, "service");
    std::string room = withHash(stringArg(request, "room"));
    if (!service.empty() && service != "chat" && service != "echo")
        return reply(failure("service must be chat or echo"));
    using Infos = std::vector<Worker::ClientInfo>;
    askWorkers<Infos>(
        [](Worker& w, std::function<void(Infos)> answer) { w.listClients(std::move(answer)); },
        [service, room, reply = std::move(reply)](std::vector<Infos> perWorker) {
            std::vector<const Worker::ClientInfo*> all;
            for (const auto& infos : perWorker)
                for (const auto& info : infos) {
                    if (!service.empty() && info.service != service) continue;
                    if (!room.empty()) {
                        if (!info.chat) continue;
                        bool member = false;
                        for (const auto& r : info.chat->rooms)
                            member |=
                                sockchat::chat::foldCase("#" + r) == sockchat::chat::foldCase(room);
                        if (!member) continue;
                    }
                    all.push_back(&info);
                }
            // By id: c2 before c10.
            std::sort(all.begin(), all.end(), [](const auto* a, const auto* b) {
                return std::make_pair(a->id.size(), a->id) < std::make_pair(b->id.size(), b->id);
            });
            json clients = json::array();
            for (const auto* info : all) {
                json rooms = json::array();
                json nick = nullptr, current = nullptr;
                if (info->chat) {
                    for (const auto& r : info->chat->rooms) rooms.push_back("#" + r);
                    if (!info->chat->nick.empty()) nick = info->chat->nick;
                    if (!info->chat->current.empty()) current = "#" + info->chat->current;
                }
                clients.push_back({{"id", info->id},
                                   {"peer", info->peer},
                                   {"service", info->service},
                                   {"listener", info->listener},
                                   {"nick", nick},
                                   {"room", current},
                                   {"rooms", std::move(rooms)},
                                   {"connected_seconds", info->connectedSeconds},
                                   {"bytes_in", info->bytesIn},
                                   {"bytes_out", info->bytesOut},
                                   {"output_queued", info->outputQueued}});
            }
            reply({{"ok", true}, {"clients", std::move(clients)}});
        });
}

void Server::adminRooms(AdminServer::Reply reply) {
    auto stats = chat_.backend->roomStats();
    if (!stats)
        return reply(failure("rooms: not available with a cluster yet (try /rooms in a chat)"));
    json rooms = json::array();
    for (const auto& r : *stats)
        rooms.push_back({{"name", r.name},
                         {"members", r.members},
                         {"messages", r.messages},
                         {"history", r.history}});
    reply({{"ok", true}, {"rooms", std::move(rooms)}});
}

void Server::adminKick(const json& request, AdminServer::Reply reply) {
    std::string target = stringArg(request, "client");
    if (target.empty()) return reply(failure("kick needs \"client\": an id (c7) or a nick"));
    std::string reason = sockchat::chat::sanitizeText(stringArg(request, "reason"));
    using Kicks = std::vector<Worker::Kicked>;
    askWorkers<Kicks>(
        [target, reason](Worker& w, std::function<void(Kicks)> answer) {
            w.kick(target, reason, std::move(answer));
        },
        [target, reply = std::move(reply)](std::vector<Kicks> perWorker) {
            json kicked = json::array();
            for (const auto& kicks : perWorker)
                for (const auto& k : kicks)
                    kicked.push_back(
                        {{"id", k.id}, {"nick", k.nick.empty() ? json(nullptr) : json(k.nick)}});
            if (kicked.empty()) return reply(failure("no such client: " + target));
            reply({{"ok", true}, {"kicked", std::move(kicked)}});
        });
}

void Server::adminSay(const json& request, AdminServer::Reply reply) {
    std::string text = stringArg(request, "text");
    std::string room = stringArg(request, "room"), client = stringArg(request, "client");
    bool all = flagArg(request, "all");
    if (text.empty()) return reply(failure("say needs \"text\""));
    if (int(!room.empty()) + int(!client.empty()) + int(all) != 1)
        return reply(failure("say needs exactly one of \"room\", \"client\" or \"all\": true"));
    auto sum = [reply = std::move(reply)](std::vector<std::size_t> perWorker) {
        std::size_t delivered = 0;
        for (auto n : perWorker) delivered += n;
        reply({{"ok", true}, {"delivered", delivered}});
    };
    logger_.info("say", "operator notice",
                 {{"room", room}, {"client", client}, {"all", all ? "yes" : "no"}, {"text", text}});
    if (!client.empty())
        return askWorkers<std::size_t>(
            [client, text](Worker& w, std::function<void(std::size_t)> answer) {
                w.noticeClient(client, text, std::move(answer));
            },
            std::move(sum));
    askWorkers<std::size_t>(
        [room, text](Worker& w, std::function<void(std::size_t)> answer) {
            w.noticeRoom(room, text, std::move(answer));
        },
        std::move(sum));
}

void Server::adminReload(AdminServer::Reply reply) {
    reload([reply = std::move(reply)](const ReloadOutcome& outcome) {
        if (!outcome.error.empty())
            return reply({{"ok", false}, {"error", outcome.error}, {"config_error", true}});
        json changes = json::array(), restart = json::array();
        for (const auto& c : outcome.changes) changes.push_back(c.line());
        for (const auto& c : outcome.restartNeeded) restart.push_back(c.line());
        reply({{"ok", true},
               {"changes", std::move(changes)},
               {"restart_needed", std::move(restart)}});
    });
}

void Server::adminLogLevel(const json& request, AdminServer::Reply reply) {
    std::string name = stringArg(request, "level");
    auto level = sockchat::log::parseLevel(name);
    if (!level)
        return reply(failure("level must be one of trace, debug, info, warn, error, critical"));
    const char* was = sockchat::log::levelName(logger_.level());
    logger_.setLevel(*level);
    // At warn, so that the change shows in the log whatever the new level (short of error).
    logger_.warn("admin", "log level changed on the admin socket", {{"level", name}, {"was", was}});
    reply({{"ok", true}, {"level", name}, {"was", was}});
}

}  // namespace sockchatd
