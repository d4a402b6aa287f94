// sockctl's operator commands (status, clients, kick, say, ...) against a real Unix socket
// served by FakeAdminServer in this process, not by sockchatd (whose side of the admin protocol
// is written separately): the real sockctl binary must send the request PROTOCOL.md specifies,
// print the reply as documented, and exit with the documented status for every failure.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "daemon_process.h"
#include "fake_admin_server.h"

namespace {

using namespace sockctl_test;
using sockchat::testing::ProcessResult;
using sockchat::testing::runProgram;
using sockchat::testing::TempFile;
using Json = nlohmann::json;

ProcessResult sockctl(std::vector<std::string> args, const std::vector<std::string>& prefix = {},
                      std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    args.insert(args.begin(), SOCKCTL_BIN);
    args.insert(args.begin(), prefix.begin(), prefix.end());
    return runProgram(args, timeout);
}

std::string describe(const ProcessResult& r) {
    return "exit " + std::to_string(r.exitCode) + "\nstdout:\n" + r.stdoutText + "stderr:\n" +
           r.stderrText;
}

// Runs `sockctl --socket SERVER args...` against a server answering `reply`; the result, with
// the request the server got checked against `expectedRequest` (compared as JSON objects).
ProcessResult exchange(const std::vector<std::string>& args, const std::string& reply,
                       const std::string& expectedRequest) {
    FakeAdminServer server(reply);
    std::vector<std::string> all{"--socket", server.path()};
    all.insert(all.end(), args.begin(), args.end());
    ProcessResult r = sockctl(all);
    auto request = server.request();
    EXPECT_TRUE(request.has_value()) << "no request line came\n" << describe(r);
    if (request) {
        EXPECT_EQ(Json::parse(*request, nullptr, false), Json::parse(expectedRequest))
            << "request: " << *request;
        EXPECT_EQ(request->find('\n'), std::string::npos);
    }
    return r;
}

// A daemon config (a chat listener) with admin.socket: "socket".
std::unique_ptr<TempFile> configWithSocket(const std::string& socket) {
    return std::make_unique<TempFile>(
        sockchat::testing::testConfig("  - {service: chat, address: \"127.0.0.1:0\"}\n",
                                      "admin:\n  socket: \"" + socket + "\"\n"));
}

struct Case {
    std::vector<std::string> args;
    std::string request;  // what the daemon must get
    std::string reply;    // what it answers
    std::string out;      // what sockctl must print
};

// What a failing case is shown as: its command line.
void PrintTo(const Case& c, std::ostream* os) {
    *os << "sockctl";
    for (const auto& arg : c.args) *os << " " << arg;
}

class SockctlAdminRequest : public ::testing::TestWithParam<Case> {};

TEST_P(SockctlAdminRequest, SendsTheProtocolRequestAndPrintsTheReply) {
    const Case& c = GetParam();
    ProcessResult r = exchange(c.args, c.reply, c.request);
    EXPECT_EQ(r.exitCode, 0) << describe(r);
    EXPECT_EQ(r.stdoutText, c.out) << describe(r);
    EXPECT_EQ(r.stderrText, "");
}

const char* const kStatusReply =
    R"({"ok":true,"version":"0.9.0","pid":1234,"uptime_seconds":7500,"config":"/etc/s.yaml",)"
    R"("reload_error":"","threads":2,"log_level":"info","listeners":[{"service":"chat",)"
    R"("address":"127.0.0.1:8001","connections":3}],"connections":3,"totals":{"accepted":10,)"
    R"("refused":1,"bytes_in":5120,"bytes_out":90210,"chat_messages":42,"dropped":{"kick":2}},)"
    R"("rooms":4,"cluster":null})";

INSTANTIATE_TEST_SUITE_P(
    Commands, SockctlAdminRequest,
    ::testing::Values(
        Case{{"status"},
             R"({"cmd":"status"})",
             kStatusReply,
             "sockchatd 0.9.0  pid 1234  up 2h05m  threads 2  log level info\n"
             "config    /etc/s.yaml\n"
             "SERVICE  ADDRESS         CONNECTIONS\n"
             "chat     127.0.0.1:8001            3\n"
             "totals    10 accepted, 1 refused, 5.0 KiB in, 88.1 KiB out, 42 chat messages\n"
             "dropped   kick 2\n"
             "rooms     4\n"},
        Case{{"clients"}, R"({"cmd":"clients"})", R"({"ok":true,"clients":[]})", "no clients\n"},
        Case{{"clients", "--service", "chat", "--room", "lobby"},
             R"({"cmd":"clients","service":"chat","room":"#lobby"})",
             R"({"ok":true,"clients":[{"id":"c7","peer":"127.0.0.1:40122","service":"chat",)"
             R"("nick":"alice","room":"#lobby","rooms":["#lobby"],"connected_seconds":65.2,)"
             R"("bytes_in":120,"bytes_out":4410,"output_queued":0}]})",
             "ID  PEER             SERVICE  NICK   ROOM    CONNECTED     IN      OUT  QUEUED\n"
             "c7  127.0.0.1:40122  chat     alice  #lobby      1m05s  120 B  4.3 KiB     0 B\n"},
        Case{{"rooms"},
             R"({"cmd":"rooms"})",
             R"({"ok":true,"rooms":[{"name":"#lobby","members":3,"messages":40,"history":20}]})",
             "ROOM    MEMBERS  MESSAGES  HISTORY\n#lobby        3        40       20\n"},
        Case{{"kick", "alice", "--reason", "spam"},
             R"({"cmd":"kick","client":"alice","reason":"spam"})",
             R"({"ok":true,"kicked":[{"id":"c7","nick":"alice"}]})",
             "kicked c7 (alice)\n"},
        Case{{"kick", "c8"},
             R"({"cmd":"kick","client":"c8"})",
             R"({"ok":true,"kicked":[{"id":"c8","nick":null}]})",
             "kicked c8\n"},
        Case{{"say", "--room", "#dev", "deploy", "at", "5"},
             R"({"cmd":"say","room":"#dev","text":"deploy at 5"})",
             R"({"ok":true,"delivered":3})",
             "delivered to 3 clients\n"},
        Case{{"say", "--client", "alice", "psst"},
             R"({"cmd":"say","client":"alice","text":"psst"})",
             R"({"ok":true,"delivered":1})",
             "delivered to 1 client\n"},
        Case{{"say", "--all", "going down in 5 min"},
             R"({"cmd":"say","all":true,"text":"going down in 5 min"})",
             R"({"ok":true,"delivered":0})",
             "delivered to 0 clients\n"},
        Case{{"reload"},
             R"({"cmd":"reload"})",
             R"({"ok":true,"changes":["limits.max_connections: 1000 -> 2000"],)"
             R"("restart_needed":["threads: 2 -> 4"]})",
             "changed  limits.max_connections: 1000 -> 2000\n"
             "restart needed for  threads: 2 -> 4\n"},
        Case{{"reload"},
             R"({"cmd":"reload"})",
             R"({"ok":true,"changes":[],"restart_needed":[]})",
             "no changes\n"},
        Case{{"log-level", "debug"},
             R"({"cmd":"log-level","level":"debug"})",
             R"({"ok":true,"level":"debug","was":"info"})",
             "log level debug (was info)\n"},
        Case{{"stop"}, R"({"cmd":"stop"})", R"({"ok":true})", "sockchatd is stopping\n"},
        Case{{"metrics"},
             R"({"cmd":"metrics"})",
             R"({"ok":true,"text":"# TYPE sockchatd_up gauge\nsockchatd_up 1\n"})",
             "# TYPE sockchatd_up gauge\nsockchatd_up 1\n"}));

TEST(SockctlAdmin, SocketOptionAfterTheCommand) {
    FakeAdminServer server(R"({"ok":true})");
    ProcessResult r = sockctl({"stop", "--socket", server.path()});
    EXPECT_EQ(r.exitCode, 0) << describe(r);
    EXPECT_EQ(r.stdoutText, "sockchatd is stopping\n");
    EXPECT_EQ(server.request(), R"({"cmd":"stop"})");
}

TEST(SockctlAdmin, JsonPrintsTheReplyAsItCame) {
    const std::string reply = R"({"delivered": 2,  "ok":true, "extra":"\u00e9"})";
    ProcessResult r = exchange({"say", "--all", "hi", "--json"}, reply,
                               R"({"cmd":"say","all":true,"text":"hi"})");
    EXPECT_EQ(r.exitCode, 0) << describe(r);
    EXPECT_EQ(r.stdoutText, reply + "\n");
}

TEST(SockctlAdmin, JsonKeepsTheExitStatus) {
    const std::string reply = R"({"ok":false,"error":"no such client: bob"})";
    ProcessResult r =
        exchange({"kick", "bob", "--json"}, reply, R"({"cmd":"kick","client":"bob"})");
    EXPECT_EQ(r.exitCode, 1) << describe(r);
    EXPECT_EQ(r.stdoutText, reply + "\n");
}

TEST(SockctlAdmin, DaemonErrorIsStatus1) {
    ProcessResult r = exchange({"kick", "bob"}, R"({"ok":false,"error":"no such client: bob"})",
                               R"({"cmd":"kick","client":"bob"})");
    EXPECT_EQ(r.exitCode, 1) << describe(r);
    EXPECT_EQ(r.stdoutText, "");
    EXPECT_EQ(r.stderrText, "sockctl: no such client: bob\n");
}

TEST(SockctlAdmin, ReloadWithInvalidConfigIsStatus78) {
    ProcessResult r = exchange(
        {"reload"},
        R"({"ok":false,"error":"/etc/sockchatd/sockchatd.yaml:3:5: limits.x: unknown key","config_error":true})",
        R"({"cmd":"reload"})");
    EXPECT_EQ(r.exitCode, 78) << describe(r);
    EXPECT_EQ(r.stdoutText, "");
    EXPECT_EQ(r.stderrText,
              "sockctl: reload failed: /etc/sockchatd/sockchatd.yaml:3:5: limits.x: unknown key\n"
              "sockctl: the running config stays\n");
}

TEST(SockctlAdmin, PermissionDeniedReplyIsStatus77) {
    FakeAdminServer server(R"({"ok":false,"error":"permission denied"})");
    ProcessResult r = sockctl({"--socket", server.path(), "status"});
    EXPECT_EQ(r.exitCode, 77) << describe(r);
    EXPECT_EQ(r.stderrText, "sockctl: permission denied on " + server.path() +
                                ": run as root or as a member of the sockchatd group\n");
}

// The socket's mode refuses a user who is neither its owner nor in its group: connect() fails
// with EACCES before the daemon sees anything.
TEST(SockctlAdmin, SocketModeRefusingUsIsStatus77) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root, to run sockctl as nobody";
    FakeAdminServer server(R"({"ok":true})");
    ASSERT_EQ(::chmod(server.path().c_str(), 0000), 0);
    ProcessResult r =
        sockctl({"--socket", server.path(), "status"},
                {"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"});
    EXPECT_EQ(r.exitCode, 77) << describe(r);
    EXPECT_EQ(r.stderrText, "sockctl: permission denied on " + server.path() +
                                ": run as root or as a member of the sockchatd group\n");
    EXPECT_EQ(server.request(std::chrono::milliseconds(100)), std::nullopt);
}

TEST(SockctlAdmin, NoSocketIsStatus69NamingIt) {
    TempFile dir("");
    const std::string path = dir.path() + ".sock";  // nothing there
    ProcessResult r = sockctl({"--socket", path, "status"});
    EXPECT_EQ(r.exitCode, 69) << describe(r);
    EXPECT_EQ(r.stderrText, "sockctl: cannot connect to " + path +
                                ": No such file or directory (is sockchatd running?)\n");
}

TEST(SockctlAdmin, NobodyListeningIsStatus69) {
    // A socket file nobody listens on (a daemon that died without removing it): bound, never
    // listened on.
    FakeAdminServer server(R"({"ok":true})");
    const std::string stale = server.dir() + "/stale.sock";
    sockchat::net::Fd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, stale.data(), stale.size());
    ASSERT_EQ(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
    ProcessResult r = sockctl({"--socket", stale, "rooms"});
    EXPECT_EQ(r.exitCode, 69) << describe(r);
    EXPECT_EQ(r.stderrText, "sockctl: cannot connect to " + stale +
                                ": Connection refused (is sockchatd running?)\n");
}

// Closed without a reply: the daemon went away (or is shutting down) mid-request. Status 69,
// as for a daemon that is not there: the request may or may not have been carried out.
TEST(SockctlAdmin, ClosedWithoutReplyIsStatus69) {
    FakeAdminServer server(FakeAdminServer::Silence::close);
    ProcessResult r = sockctl({"--socket", server.path(), "reload"});
    EXPECT_EQ(r.exitCode, 69) << describe(r);
    EXPECT_EQ(server.request(), R"({"cmd":"reload"})");
    EXPECT_EQ(r.stderrText,
              "sockctl: no reply from " + server.path() + ": the daemon closed the connection\n");
}

// The reply line is bounded (64 MiB): a server that never ends its line cannot make sockctl
// take all memory.
TEST(SockctlAdmin, ReplyOverTheLimitIsStatus1) {
    const std::size_t limit = std::size_t{64} << 20;
    FakeAdminServer server("\"" + std::string(limit, 'x') + "\"");
    ProcessResult r = sockctl({"--socket", server.path(), "metrics"});
    EXPECT_EQ(r.exitCode, 1) << r.stderrText;
    EXPECT_EQ(r.stdoutText, "");
    EXPECT_EQ(r.stderrText, "sockctl: the reply from " + server.path() + " is over " +
                                std::to_string(limit) + " bytes\n");
}

// A daemon that takes the request and never answers (wedged): sockctl gives up at its 30 s
// deadline with status 69 instead of hanging. (The one slow test here: the deadline is the
// point.)
TEST(SockctlAdmin, SilentDaemonIsStatus69AtTheDeadline) {
    FakeAdminServer server(FakeAdminServer::Silence::hold);
    const auto start = std::chrono::steady_clock::now();
    ProcessResult r = sockctl({"--socket", server.path(), "reload"}, {}, std::chrono::seconds(60));
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.exitCode, 69) << describe(r);
    EXPECT_EQ(r.stderrText, "sockctl: no reply from " + server.path() + ": nothing within 30 s\n");
    EXPECT_GE(took, std::chrono::seconds(29));
    EXPECT_LT(took, std::chrono::seconds(45));
    EXPECT_EQ(server.request(), R"({"cmd":"reload"})");
}

TEST(SockctlAdmin, ReplyThatIsNotJsonIsStatus1) {
    FakeAdminServer server("HTTP/1.1 400 Bad Request");
    ProcessResult r = sockctl({"--socket", server.path(), "status"});
    EXPECT_EQ(r.exitCode, 1) << describe(r);
    EXPECT_EQ(r.stderrText,
              "sockctl: " + server.path() + " answered something that is not a JSON object\n");
}

TEST(SockctlAdmin, SocketFromTheConfig) {
    FakeAdminServer server(R"({"ok":true,"rooms":[]})");
    auto config = configWithSocket(server.path());
    ProcessResult r = sockctl({"-c", config->path(), "rooms"});
    EXPECT_EQ(r.exitCode, 0) << describe(r);
    EXPECT_EQ(r.stdoutText, "no rooms\n");
    EXPECT_EQ(server.request(), R"({"cmd":"rooms"})");
}

TEST(SockctlAdmin, SocketOptionWinsOverTheConfig) {
    FakeAdminServer server(R"({"ok":true})");
    auto config = configWithSocket("/nonexistent/a.sock");
    ProcessResult r = sockctl({"-c", config->path(), "stop", "--socket", server.path()});
    EXPECT_EQ(r.exitCode, 0) << describe(r);
    EXPECT_EQ(server.request(), R"({"cmd":"stop"})");
}

TEST(SockctlAdmin, AdminSocketOffInTheConfigIsStatus69) {
    auto config = configWithSocket("");
    ProcessResult r = sockctl({"-c", config->path(), "status"});
    EXPECT_EQ(r.exitCode, 69) << describe(r);
    EXPECT_EQ(r.stderrText,
              "sockctl: the admin socket is off in " + config->path() + " (admin.socket: \"\")\n");
}

TEST(SockctlAdmin, InvalidConfigIsStatus78) {
    auto config = std::make_unique<TempFile>("admin:\n  socket: relative.sock\n");
    ProcessResult r = sockctl({"-c", config->path(), "status"});
    EXPECT_EQ(r.exitCode, 78) << describe(r);
    EXPECT_NE(r.stderrText.find(config->path()), std::string::npos) << r.stderrText;
}

// Usage errors are found before connecting: the socket named here does not exist, so a 69
// would mean sockctl tried.
TEST(SockctlAdmin, UsageErrorsAreStatus64BeforeConnecting) {
    const std::vector<std::vector<std::string>> bad = {
        {"say", "hello"},                            // no target
        {"say", "--all", "--room", "dev", "hello"},  // two targets
        {"say", "--all"},                            // no text
        {"log-level", "verbose"},                    // not a level
        {"kick"},                                    // no client
        {"clients", "--service", "http"},            // no such service
        {"status", "extra"},
    };
    for (const auto& args : bad) {
        std::vector<std::string> all{"--socket", "/nonexistent/admin.sock"};
        all.insert(all.end(), args.begin(), args.end());
        ProcessResult r = sockctl(all);
        EXPECT_EQ(r.exitCode, 64) << args[0] << " " << describe(r);
        EXPECT_EQ(r.stderrText.find("cannot connect"), std::string::npos) << r.stderrText;
    }
}

}  // namespace
