// The admin socket (daemon/admin/PROTOCOL.md), driven through a real Unix socket against the
// real daemon: every command, who may use it, and what a broken or hostile admin client costs.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "chat/chat_client.h"
#include "daemon_process.h"
#include "test_client.h"

using namespace sockchat::testing;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// A private directory for the socket (and nothing else), removed with everything in it.
class SocketDir {
  public:
    SocketDir() {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "sockchat-admin-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        dir_ = tmpl;
        ::chmod(dir_.c_str(), 0755);  // other users' clients must reach the socket file itself
    }
    ~SocketDir() { std::filesystem::remove_all(dir_); }
    std::string socket() const { return dir_ + "/admin.sock"; }

  private:
    std::string dir_;
};

sockchat::net::Fd connectUnix(const std::string& path, int* error = nullptr) {
    sockchat::net::Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path.c_str());
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        if (error) *error = errno;
        return {};
    }
    return fd;
}

// One admin connection: a line out, a line back, with deadlines.
class AdminClient {
  public:
    explicit AdminClient(const std::string& path) : fd_(connectUnix(path)) {
        if (!fd_) throw std::runtime_error("cannot connect to " + path);
    }
    void sendRaw(std::string_view bytes) {
        while (!bytes.empty()) {
            ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n <= 0) throw std::runtime_error("send failed");
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
    }
    // The next reply line as JSON; a JSON null at EOF or after the deadline.
    json nextReply(std::chrono::milliseconds timeout = 10s) {
        auto deadline = Clock::now() + timeout;
        for (;;) {
            if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
                std::string line = buffer_.substr(0, nl);
                buffer_.erase(0, nl + 1);
                return json::parse(line);
            }
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            pollfd p{fd_.get(), POLLIN, 0};
            if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
                return nullptr;
            char buf[65536];
            ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
            if (n <= 0) {
                closed_ = true;
                return nullptr;
            }
            buffer_.append(buf, static_cast<std::size_t>(n));
        }
    }
    json ask(const json& request) {
        sendRaw(request.dump() + "\n");
        return nextReply();
    }
    // True once the daemon closed this connection (within timeout).
    bool waitClosed(std::chrono::milliseconds timeout) {
        auto deadline = Clock::now() + timeout;
        while (!closed_ && Clock::now() < deadline) {
            json more = nextReply(
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
            (void)more;
        }
        return closed_;
    }

  private:
    sockchat::net::Fd fd_;
    std::string buffer_;
    bool closed_ = false;
};

const std::string kEchoAndChat =
    "  - {service: echo, address: \"127.0.0.1:0\"}\n"
    "  - {service: chat, address: \"127.0.0.1:0\"}\n";

// The daemon's own group (root's, here) may use the socket; extra must not say `threads`
// unless threads is 0.
std::string adminConfig(const SocketDir& dir, const std::string& extra = "",
                        const std::string& listen = kEchoAndChat, int threads = 2) {
    return testConfig(listen, (threads ? "threads: " + std::to_string(threads) + "\n" : "") +
                                  "admin: {socket: \"" + dir.socket() + "\", group: \"\"}\n" +
                                  extra);
}

DaemonProcess start(const TempFile& cfg) {
    DaemonProcess::Options opts;
    opts.args = {"-c", cfg.path()};
    return DaemonProcess(opts);
}

auto eventIs(const std::string& name) {
    return [name](const json& e) { return e.value("event", "") == name; };
}

// Runs `body` in a child process as uid/gid nobody/nogroup (no supplementary groups) and
// returns its exit code.
int asNobody(const std::function<int()>& body) {
    pid_t pid = ::fork();
    if (pid == 0) {
        group* nogroup = ::getgrnam("nogroup");
        gid_t gid = nogroup ? nogroup->gr_gid : 65534;
        if (::setgroups(0, nullptr) != 0 || ::setresgid(gid, gid, gid) != 0 ||
            ::setresuid(65534, 65534, 65534) != 0)
            ::_exit(120);
        try {
            ::_exit(body());
        } catch (const std::exception& e) {
            std::fprintf(stderr, "as nobody: %s\n", e.what());
            ::_exit(121);
        }
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A chat client with a nick, in the lobby.
std::unique_ptr<ChatClient> chatter(const DaemonProcess& daemon, const std::string& nick) {
    auto c = std::make_unique<ChatClient>(daemon.port(1));
    c->readGreeting();
    c->nick(nick);
    return c;
}

}  // namespace

TEST(Admin, StatusCountsListenersClientsAndTotals) {
    SocketDir dir;
    TempFile cfg(adminConfig(dir));
    DaemonProcess daemon = start(cfg);
    auto alice = chatter(daemon, "alice");
    alice->send("hello all");
    ASSERT_FALSE(alice->waitForLine("<alice> hello all").empty());
    TestClient echo(daemon.port(0));
    echo.send("x");
    ASSERT_EQ(echo.recvExactly(7), "hello x");

    json s = AdminClient(dir.socket()).ask({{"cmd", "status"}});
    ASSERT_EQ(s["ok"], true) << s.dump();
    EXPECT_EQ(s["pid"], daemon.pid());
    EXPECT_EQ(s["config"], cfg.path());
    EXPECT_EQ(s["threads"], 2);
    EXPECT_EQ(s["log_level"], "debug");
    EXPECT_EQ(s["reload_error"], "");
    ASSERT_EQ(s["listeners"].size(), 2u);
    EXPECT_EQ(s["listeners"][0]["service"], "echo");
    EXPECT_EQ(s["listeners"][0]["connections"], 1);
    EXPECT_EQ(s["listeners"][1]["service"], "chat");
    EXPECT_EQ(s["listeners"][1]["connections"], 1);
    EXPECT_EQ(s["listeners"][1]["address"], "127.0.0.1:" + std::to_string(daemon.port(1)));
    EXPECT_EQ(s["connections"], 2);
    EXPECT_EQ(s["totals"]["accepted"], 2);
    EXPECT_EQ(s["totals"]["chat_messages"], 1);
    EXPECT_EQ(s["totals"]["bytes_in"], 1 + 12 + 10);  // "x", "/nick alice\n", "hello all\n"
    EXPECT_GT(s["totals"]["bytes_out"].get<int>(), 0);
    EXPECT_EQ(s["totals"]["dropped"]["kick"], 0);
    EXPECT_EQ(s["cluster"], nullptr);
    EXPECT_EQ(daemon.stop(), 0);
    EXPECT_FALSE(std::filesystem::exists(dir.socket())) << "the socket file outlived the daemon";
}

TEST(Admin, ClientsAndRoomsListWhoIsWhere) {
    SocketDir dir;
    TempFile cfg(adminConfig(dir));
    DaemonProcess daemon = start(cfg);
    auto alice = chatter(daemon, "alice"), bob = chatter(daemon, "bob");
    alice->send("/join #dev");
    ASSERT_FALSE(alice->waitForLine("-!- alice joined #dev").empty());
    alice->send("in dev");
    ASSERT_FALSE(alice->waitForLine("<alice> in dev").empty());
    TestClient echo(daemon.port(0));
    echo.send("x");
    ASSERT_EQ(echo.recvExactly(7), "hello x");

    AdminClient admin(dir.socket());
    json all = admin.ask({{"cmd", "clients"}});
    ASSERT_EQ(all["clients"].size(), 3u) << all.dump();
    json a = all["clients"][0];
    EXPECT_EQ(a["nick"], "alice");
    EXPECT_EQ(a["service"], "chat");
    EXPECT_EQ(a["room"], "#dev");
    EXPECT_EQ(a["rooms"], json({"#lobby", "#dev"}));
    EXPECT_EQ(a["listener"], "127.0.0.1:" + std::to_string(daemon.port(1)));
    EXPECT_GT(a["bytes_in"].get<int>(), 0);
    EXPECT_EQ(all["clients"][2]["service"], "echo");
    EXPECT_EQ(all["clients"][2]["nick"], nullptr);

    json echoes = admin.ask({{"cmd", "clients"}, {"service", "echo"}});
    ASSERT_EQ(echoes["clients"].size(), 1u);
    EXPECT_EQ(echoes["clients"][0]["bytes_out"], 7);
    json dev = admin.ask({{"cmd", "clients"}, {"room", "DEV"}});
    ASSERT_EQ(dev["clients"].size(), 1u);
    EXPECT_EQ(dev["clients"][0]["nick"], "alice");
    EXPECT_EQ(admin.ask({{"cmd", "clients"}, {"service", "irc"}})["ok"], false);

    json rooms = admin.ask({{"cmd", "rooms"}});
    ASSERT_EQ(rooms["rooms"].size(), 2u) << rooms.dump();
    EXPECT_EQ(rooms["rooms"][0],
              json({{"name", "#lobby"}, {"members", 2}, {"messages", 0}, {"history", 0}}));
    EXPECT_EQ(rooms["rooms"][1],
              json({{"name", "#dev"}, {"members", 1}, {"messages", 1}, {"history", 1}}));
    EXPECT_EQ(admin.ask({{"cmd", "status"}})["rooms"], 2);
}

TEST(Admin, KickTellsTheClientDisconnectsAndLogsIt) {
    SocketDir dir;
    TempFile cfg(adminConfig(dir));
    DaemonProcess daemon = start(cfg);
    auto alice = chatter(daemon, "alice"), bob = chatter(daemon, "bob");
    TestClient echo(daemon.port(0));
    echo.send("x");
    ASSERT_EQ(echo.recvExactly(7), "hello x");
    AdminClient admin(dir.socket());

    json kicked = admin.ask({{"cmd", "kick"}, {"client", "ALICE"}, {"reason", "spam"}});
    ASSERT_EQ(kicked["ok"], true) << kicked.dump();
    EXPECT_EQ(kicked["kicked"][0]["nick"], "alice");
    EXPECT_FALSE(alice->waitForLine("! closing: kicked by the operator: spam").empty());
    EXPECT_TRUE(alice->socket().waitClosed());
    EXPECT_FALSE(bob->waitForLine("-!- alice left #lobby (kick: spam)").empty());
    auto logged = daemon.waitForEvent(eventIs("kick"));
    ASSERT_TRUE(logged);
    EXPECT_EQ((*logged)["nick"], "alice");
    EXPECT_EQ((*logged)["reason"], "spam");

    // An echo client by its id, silently.
    json clients = admin.ask({{"cmd", "clients"}, {"service", "echo"}});
    std::string id = clients["clients"][0]["id"];
    EXPECT_EQ(admin.ask({{"cmd", "kick"}, {"client", id}})["ok"], true);
    std::string rest;
    EXPECT_TRUE(echo.waitClosed(5s, &rest));
    EXPECT_EQ(rest, "");

    json none = admin.ask({{"cmd", "kick"}, {"client", "nobody"}});
    EXPECT_EQ(none, json({{"ok", false}, {"error", "no such client: nobody"}}));
    EXPECT_EQ(admin.ask({{"cmd", "kick"}})["ok"], false);
    // Both counted as dropped by kick; bob is untouched.
    for (auto until = Clock::now() + 5s; Clock::now() < until;) {
        if (admin.ask({{"cmd", "status"}})["totals"]["dropped"]["kick"] == 2) break;
        ::poll(nullptr, 0, 20);
    }
    EXPECT_EQ(admin.ask({{"cmd", "status"}})["totals"]["dropped"]["kick"], 2);
    bob->send("still here");
    EXPECT_FALSE(bob->waitForLine("<bob> still here").empty());
}

TEST(Admin, SayReachesTheRightClientsOnlyAsAServerNotice) {
    SocketDir dir;
    TempFile cfg(adminConfig(dir));
    DaemonProcess daemon = start(cfg);
    auto alice = chatter(daemon, "alice"), bob = chatter(daemon, "bob");
    auto carol = chatter(daemon, "carol");
    carol->send("/mode json");
    ASSERT_FALSE(carol->waitFor([](const std::string& l) { return l.starts_with("{"); }).empty());
    alice->send("/join #dev");
    ASSERT_FALSE(alice->waitForLine("-!- alice joined #dev").empty());
    AdminClient admin(dir.socket());

    EXPECT_EQ(admin.ask({{"cmd", "say"}, {"room", "#dev"}, {"text", "dev only"}})["delivered"], 1);
    EXPECT_EQ(admin.ask({{"cmd", "say"}, {"client", "Bob"}, {"text", "bob only"}})["delivered"], 1);
    EXPECT_EQ(admin.ask({{"cmd", "say"}, {"all", true}, {"text", "everyone"}})["delivered"], 3);
    // Bad requests: no target, two targets, no text.
    EXPECT_EQ(admin.ask({{"cmd", "say"}, {"text", "x"}})["ok"], false);
    EXPECT_EQ(admin.ask({{"cmd", "say"}, {"all", true}, {"room", "#dev"}, {"text", "x"}})["ok"],
              false);
    EXPECT_EQ(admin.ask({{"cmd", "say"}, {"all", true}})["ok"], false);

    // Each sees exactly its notices, in order, as server lines (a user cannot write "-!- ").
    // Reads the notices expected, then one more moment for any that should not come.
    auto notices = [](ChatClient& c, std::size_t expected) {
        std::vector<std::string> got;
        while (got.size() <= expected) {
            std::string line =
                c.waitFor([](const std::string& l) { return l.find("[operator]") != l.npos; }, 2s);
            if (line.empty()) break;
            got.push_back(line);
        }
        return got;
    };
    EXPECT_EQ(notices(*alice, 2),
              std::vector<std::string>({"-!- [operator] dev only", "-!- [operator] everyone"}));
    EXPECT_EQ(notices(*bob, 2),
              std::vector<std::string>({"-!- [operator] bob only", "-!- [operator] everyone"}));
    auto json1 = notices(*carol, 1);
    ASSERT_EQ(json1.size(), 1u);
    json carolSaw = json::parse(json1[0]);
    EXPECT_EQ(carolSaw["type"], "notice");
    EXPECT_EQ(carolSaw["text"], "[operator] everyone");
}

TEST(Admin, ReloadSaysWhatChangedAndKeepsTheRunningConfigOnError) {
    SocketDir dir;
    auto config = [&](const std::string& motd, const std::string& listen,
                      const std::string& extra) {
        return adminConfig(dir, "chat: {motd: \"" + motd + "\"}\n" + extra, listen, 0);
    };
    TempFile cfg(config("first motd", kEchoAndChat, "threads: 2\n"));
    DaemonProcess daemon = start(cfg);
    auto alice = chatter(daemon, "alice");
    const std::uint16_t echoPort = daemon.port(0);
    AdminClient admin(dir.socket());

    // A new chat listener, the echo one gone, a new MOTD and limit, and a change that needs a
    // restart.
    std::ofstream(cfg.path()) << config("second motd",
                                        "  - {service: chat, address: \"127.0.0.1:0\"}\n"
                                        "  - {service: chat, address: \"127.0.0.2:0\"}\n",
                                        "limits: {max_connections: 2000}\nthreads: 3\n");
    json r = admin.ask({{"cmd", "reload"}});
    ASSERT_EQ(r["ok"], true) << r.dump();
    auto has = [](const json& list, const std::string& line) {
        return std::find(list.begin(), list.end(), line) != list.end();
    };
    EXPECT_TRUE(has(r["changes"], "chat.motd: \"first motd\" -> \"second motd\"")) << r.dump();
    EXPECT_TRUE(has(r["changes"], "limits.max_connections: 10000 -> 2000")) << r.dump();
    EXPECT_TRUE(has(r["changes"], "listen: +127.0.0.2:0 (chat)")) << r.dump();
    EXPECT_TRUE(has(r["changes"], "listen: -127.0.0.1:0 (echo)")) << r.dump();
    EXPECT_TRUE(has(r["restart_needed"], "threads: 2 -> 3")) << r.dump();
    EXPECT_TRUE(connectionRefused(echoPort)) << "the removed listener still accepts";
    auto added = daemon.waitForEvent([](const json& e) {
        return e.value("event", "") == "listen" &&
               e.value("listener", "").starts_with("127.0.0.2:");
    });
    ASSERT_TRUE(added);
    ChatClient newcomer(static_cast<std::uint16_t>((*added)["port"].get<unsigned>()), "127.0.0.2");
    EXPECT_FALSE(newcomer.waitForLine("-!- second motd").empty());
    alice->send("kept");
    EXPECT_FALSE(alice->waitForLine("<alice> kept").empty()) << "an old connection was dropped";

    // A bad config: the error, and the running config stays.
    std::ofstream(cfg.path()) << config("third motd", kEchoAndChat,
                                        "threads: 3\nlimits: {burst: 0}\n");
    json bad = admin.ask({{"cmd", "reload"}});
    EXPECT_EQ(bad["ok"], false);
    EXPECT_EQ(bad["config_error"], true);
    EXPECT_EQ(bad["error"].get<std::string>().rfind(cfg.path() + ":", 0), 0u) << bad.dump();
    EXPECT_NE(bad["error"].get<std::string>().find("limits.burst"), std::string::npos);
    EXPECT_EQ(admin.ask({{"cmd", "status"}})["reload_error"], bad["error"]);
    ChatClient later(static_cast<std::uint16_t>((*added)["port"].get<unsigned>()), "127.0.0.2");
    EXPECT_FALSE(later.waitForLine("-!- second motd").empty());
}

TEST(Admin, LogLevelTakesEffectAtOnce) {
    SocketDir dir;
    TempFile cfg(adminConfig(dir, "", kEchoAndChat));
    DaemonProcess daemon = start(cfg);
    AdminClient admin(dir.socket());
    json r = admin.ask({{"cmd", "log-level"}, {"level", "info"}});
    EXPECT_EQ(r, json({{"ok", true}, {"level", "info"}, {"was", "debug"}}));
    auto alice = chatter(daemon, "alice");
    alice->send("said at info");
    ASSERT_FALSE(alice->waitForLine("<alice> said at info").empty());
    EXPECT_EQ(admin.ask({{"cmd", "log-level"}, {"level", "debug"}})["was"], "info");
    alice->send("said at debug");
    ASSERT_FALSE(alice->waitForLine("<alice> said at debug").empty());
    EXPECT_TRUE(daemon.waitForEvent([](const json& e) {
        return e.value("event", "") == "message" && e.value("text", "") == "said at debug";
    }));
    EXPECT_EQ(daemon.stderrText().find("said at info"), std::string::npos);
    EXPECT_TRUE(daemon.waitForEvent([](const json& e) {
        return e.value("event", "") == "admin" && e.value("level", "") == "debug";
    })) << "the change itself is not in the log";
    EXPECT_EQ(admin.ask({{"cmd", "log-level"}, {"level", "loud"}})["ok"], false);
}

TEST(Admin, OthersArePermissionDeniedAndLoggedGroupMembersServed) {
    SocketDir dir;
    TempFile cfg(adminConfig(dir));
    DaemonProcess daemon = start(cfg);
    struct stat st {};
    ASSERT_EQ(::stat(dir.socket().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0660u);

    // The file's mode keeps nobody out...
    EXPECT_EQ(asNobody([&] {
                  int error = 0;
                  return !connectUnix(dir.socket(), &error) && error == EACCES ? 0 : 1;
              }),
              0);
    // ...and so does the daemon when the mode does not (an operator's chmod 666).
    ::chmod(dir.socket().c_str(), 0666);
    EXPECT_EQ(asNobody([&] {
                  json reply = AdminClient(dir.socket()).ask({{"cmd", "status"}});
                  return reply == json({{"ok", false}, {"error", "permission denied"}}) ? 0 : 1;
              }),
              0);
    auto refused = daemon.waitForEvent([](const json& e) {
        return e.value("event", "") == "limit" &&
               e.value("msg", "") == "admin socket: permission denied";
    });
    ASSERT_TRUE(refused);
    EXPECT_EQ((*refused)["uid"], 65534);
    EXPECT_GT((*refused)["pid"].get<int>(), 0);
    EXPECT_EQ(daemon.stop(), 0);

    // A member of admin.group is served.
    SocketDir groupDir;
    TempFile groupCfg(testConfig(
        kEchoAndChat, "admin: {socket: \"" + groupDir.socket() + "\", group: nogroup}\n"));
    DaemonProcess grouped = start(groupCfg);
    EXPECT_EQ(asNobody([&] {
                  json reply = AdminClient(groupDir.socket()).ask({{"cmd", "status"}});
                  return reply.value("ok", false) ? 0 : 1;
              }),
              0);
}

TEST(Admin, GarbageIsAnsweredAndBoundedWithoutHarmingOthers) {
    SocketDir dir;
    TempFile cfg(adminConfig(dir));
    DaemonProcess daemon = start(cfg);
    AdminClient other(dir.socket());
    AdminClient bad(dir.socket());
    bad.sendRaw("this is not json\n");
    EXPECT_EQ(bad.nextReply()["ok"], false);
    bad.sendRaw("[1,2]\n{\"cmd\":7}\n{\"cmd\":\"nope\"}\n");
    EXPECT_EQ(bad.nextReply()["ok"], false);
    EXPECT_EQ(bad.nextReply()["error"], "missing \"cmd\" (a string)");
    EXPECT_EQ(bad.nextReply()["error"].get<std::string>().rfind("unknown command: nope", 0), 0u);
    // Still served after all that, and two requests in one write answered in order.
    bad.sendRaw("{\"cmd\":\"log-level\",\"level\":\"info\"}\n{\"cmd\":\"status\"}\n");
    EXPECT_EQ(bad.nextReply()["level"], "info");
    EXPECT_EQ(bad.nextReply()["log_level"], "info");

    // A line over 64 KiB: an error, then the close.
    bad.sendRaw(std::string(70 * 1024, 'x'));
    json tooLong = bad.nextReply();
    EXPECT_EQ(tooLong["error"], "request too long (over 65536 bytes)");
    EXPECT_TRUE(bad.waitClosed(5s));
    EXPECT_EQ(other.ask({{"cmd", "status"}})["ok"], true);

    // 16 connections at most: the 17th is told and closed, and a slot frees when one goes.
    std::vector<std::unique_ptr<AdminClient>> many;
    for (int i = 0; i < 15; ++i) many.push_back(std::make_unique<AdminClient>(dir.socket()));
    AdminClient extra(dir.socket());
    EXPECT_EQ(extra.nextReply()["error"], "too many admin connections");
    EXPECT_TRUE(extra.waitClosed(5s));
    many.clear();
    for (auto until = Clock::now() + 5s; Clock::now() < until; ::poll(nullptr, 0, 20)) {
        AdminClient again(dir.socket());
        if (again.ask({{"cmd", "status"}}).value("ok", false)) break;
    }
    EXPECT_EQ(AdminClient(dir.socket()).ask({{"cmd", "status"}})["ok"], true);
}

TEST(Admin, ALineThatNeverEndsIsClosed) {
    SocketDir dir;
    TempFile cfg(adminConfig(dir));
    DaemonProcess daemon = start(cfg);
    AdminClient stalled(dir.socket());
    stalled.sendRaw("{\"cmd\":");
    auto start = Clock::now();
    EXPECT_TRUE(stalled.waitClosed(20s));
    EXPECT_GE(Clock::now() - start, 5s) << "closed before it had its time to finish the line";
    EXPECT_EQ(AdminClient(dir.socket()).ask({{"cmd", "status"}})["ok"], true);
}

TEST(Admin, StopShutsDownGracefully) {
    SocketDir dir;
    TempFile cfg(adminConfig(dir));
    DaemonProcess daemon = start(cfg);
    auto alice = chatter(daemon, "alice");
    EXPECT_EQ(AdminClient(dir.socket()).ask({{"cmd", "stop"}}), json({{"ok", true}}));
    EXPECT_FALSE(alice->waitForLine("! closing: shutting down").empty());
    EXPECT_EQ(daemon.waitExit(), 0);
}

TEST(Admin, MetricsIsThePrometheusText) {
    SocketDir dir;
    TempFile cfg(adminConfig(dir));
    DaemonProcess daemon = start(cfg);
    std::string text = AdminClient(dir.socket()).ask({{"cmd", "metrics"}})["text"];
    EXPECT_NE(
        text.find(
            "# TYPE sockchatd_connections gauge\nsockchatd_connections{service=\"echo\"} 0\n"),
        std::string::npos)
        << text;
}

// What is at the socket's path decides: a stale socket is replaced, anything else is refused.
TEST(Admin, TheSocketPathIsNeverFollowedOrStolen) {
    SocketDir dir;
    TempFile cfg(adminConfig(dir));
    DaemonProcess::Options opts;
    opts.args = {"-c", cfg.path()};
    opts.expectReady = false;
    auto refusedWith = [&](const std::string& what) {
        DaemonProcess refused(opts);
        EXPECT_EQ(refused.waitExit(), 71) << what;
        EXPECT_NE(refused.stderrText().find("sockchatd: admin.socket: " + dir.socket()),
                  std::string::npos)
            << what << ": " << refused.stderrText();
    };
    // A symlink, planted to make the daemon chown or unlink something else.
    std::string target = dir.socket() + ".target";
    std::ofstream(target) << "precious";
    ASSERT_EQ(::symlink(target.c_str(), dir.socket().c_str()), 0);
    refusedWith("symlink");
    EXPECT_TRUE(std::filesystem::is_symlink(dir.socket()));
    std::ifstream in(target);
    std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(kept, "precious");
    std::filesystem::remove(dir.socket());

    // A regular file.
    std::ofstream(dir.socket()) << "not a socket";
    refusedWith("regular file");
    std::filesystem::remove(dir.socket());

    // A stale socket (a daemon that crashed): replaced.
    {
        sockchat::net::Fd stale(::socket(AF_UNIX, SOCK_STREAM, 0));
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", dir.socket().c_str());
        ASSERT_EQ(::bind(stale.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    }
    DaemonProcess running = start(cfg);
    EXPECT_EQ(AdminClient(dir.socket()).ask({{"cmd", "status"}})["pid"], running.pid());

    // A live one: another daemon must not take it over.
    refusedWith("live daemon");
    EXPECT_EQ(AdminClient(dir.socket()).ask({{"cmd", "status"}})["pid"], running.pid());
}
