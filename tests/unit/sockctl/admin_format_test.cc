// The admin replies rendered for a person, from the sample replies of daemon/admin/PROTOCOL.md,
// and what each reply means for sockctl's exit status.
#include "admin_format.h"

#include <gtest/gtest.h>

#include <string>

#include "admin_reply.h"

namespace sockctl::admin {
namespace {

Json parse(const std::string& line) {
    return Json::parse(line);
}

// PROTOCOL.md's status reply.
const char* const kStatus = R"({"ok":true,"version":"0.9.0","pid":1234,"uptime_seconds":3600.5,
 "config":"/etc/sockchatd/sockchatd.yaml","reload_error":"",
 "threads":2,"log_level":"info",
 "listeners":[{"service":"chat","address":"127.0.0.1:8001","connections":3}],
 "connections":3,
 "totals":{"accepted":10,"refused":1,"bytes_in":5120,"bytes_out":90210,"chat_messages":42,
           "dropped":{"idle timeout":0,"slow consumer":1,"dribbling":0,"kick":2,"shutdown timeout":0}},
 "rooms":4,
 "cluster":null})";

TEST(SockctlAdminFormat, StatusFromProtocolSample) {
    EXPECT_EQ(formatStatus(parse(kStatus), false),
              "sockchatd 0.9.0  pid 1234  up 1h00m  threads 2  log level info\n"
              "config    /etc/sockchatd/sockchatd.yaml\n"
              "SERVICE  ADDRESS         CONNECTIONS\n"
              "chat     127.0.0.1:8001            3\n"
              "totals    10 accepted, 1 refused, 5.0 KiB in, 88.1 KiB out, 42 chat messages\n"
              "dropped   slow consumer 1, kick 2\n"
              "rooms     4\n");
}

TEST(SockctlAdminFormat, StatusShowsTheCertificateOfTlsListeners) {
    Json reply = parse(kStatus);
    reply["listeners"].push_back({{"service", "chat"},
                                  {"address", "0.0.0.0:6697"},
                                  {"connections", 1},
                                  {"tls",
                                   {{"certificate", "/etc/sockchatd/tls/fullchain.pem"},
                                    {"serial", "1005"},
                                    {"not_after", "Jan  1 16:01:44 2027 GMT"}}}});
    const std::string out = formatStatus(reply, false);
    EXPECT_NE(out.find("SERVICE  ADDRESS         CONNECTIONS  TLS\n"
                       "chat     127.0.0.1:8001            3  -\n"
                       "chat     0.0.0.0:6697              1  serial 1005, until Jan  1 16:01:44 "
                       "2027 GMT\n"),
              std::string::npos)
        << out;
}

TEST(SockctlAdminFormat, StatusReloadErrorClusterAndDefaults) {
    Json reply = parse(kStatus);
    reply["config"] = "";
    reply["reload_error"] = "/etc/sockchatd/sockchatd.yaml:3:5: limits.x: unknown key";
    reply["cluster"] = {{"state", "up"}, {"node", "n1"}};
    reply["totals"]["dropped"] = {{"kick", 0}};
    reply["listeners"].push_back(
        {{"service", "echo"}, {"address", "[::1]:8000"}, {"connections", 12}});
    EXPECT_EQ(
        formatStatus(reply, false),
        "sockchatd 0.9.0  pid 1234  up 1h00m  threads 2  log level info\n"
        "config    (built-in default)\n"
        "          last reload failed: /etc/sockchatd/sockchatd.yaml:3:5: limits.x: unknown key\n"
        "SERVICE  ADDRESS         CONNECTIONS\n"
        "chat     127.0.0.1:8001            3\n"
        "echo     [::1]:8000               12\n"
        "totals    10 accepted, 1 refused, 5.0 KiB in, 88.1 KiB out, 42 chat messages\n"
        "dropped   none\n"
        "rooms     4\n"
        "cluster   up (node n1)\n");
}

TEST(SockctlAdminFormat, ClientsTableWithEchoAndWideNick) {
    const Json reply = parse(R"({"ok":true,"clients":[
 {"id":"c7","peer":"127.0.0.1:40122","service":"chat","listener":"127.0.0.1:8001",
  "nick":"alice","room":"#lobby","rooms":["#lobby","#dev"],"connected_seconds":65.2,
  "bytes_in":120,"bytes_out":4410,"output_queued":0},
 {"id":"c8","peer":"127.0.0.1:40124","service":"echo","listener":"127.0.0.1:8000",
  "nick":null,"room":null,"rooms":[],"connected_seconds":3,
  "bytes_in":2048,"bytes_out":2100,"output_queued":0},
 {"id":"c10","peer":"[::1]:5000","service":"chat","listener":"[::1]:8001",
  "nick":"中文名","room":"#dev","rooms":["#dev"],"connected_seconds":7300,
  "bytes_in":0,"bytes_out":35022438,"output_queued":1536}]})");
    EXPECT_EQ(
        formatClients(reply, false),
        "ID   PEER             SERVICE  NICK    ROOM       CONNECTED       IN       OUT   QUEUED\n"
        "c7   127.0.0.1:40122  chat     alice   #lobby +1      1m05s    120 B   4.3 KiB      0 B\n"
        "c8   127.0.0.1:40124  echo     -       -                 3s  2.0 KiB   2.1 KiB      0 B\n"
        "c10  [::1]:5000       chat     中文名  #dev           2h01m      0 B  33.4 MiB  1.5 "
        "KiB\n");
}

TEST(SockctlAdminFormat, NoClientsNoRooms) {
    EXPECT_EQ(formatClients(parse(R"({"ok":true,"clients":[]})"), true), "no clients\n");
    EXPECT_EQ(formatRooms(parse(R"({"ok":true,"rooms":[]})"), true), "no rooms\n");
}

TEST(SockctlAdminFormat, RoomsFromProtocolSample) {
    const Json reply = parse(
        R"({"ok":true,"rooms":[{"name":"#lobby","members":3,"messages":40,"history":20},
                               {"name":"#über","members":12,"messages":1234,"history":200}]})");
    EXPECT_EQ(formatRooms(reply, false),
              "ROOM    MEMBERS  MESSAGES  HISTORY\n"
              "#lobby        3        40       20\n"
              "#über        12      1234      200\n");
    EXPECT_EQ(formatRooms(reply, true).substr(0, 4), "\x1b[1m");
}

TEST(SockctlAdminFormat, ReloadChangesRestartNeededOrNone) {
    EXPECT_EQ(
        formatReload(parse(
            R"js({"ok":true,"changes":["limits.max_connections: 1000 -> 2000","listen: +127.0.0.1:9000 (chat)"],"restart_needed":["threads: 2 -> 4"]})js")),
        "changed  limits.max_connections: 1000 -> 2000\n"
        "changed  listen: +127.0.0.1:9000 (chat)\n"
        "restart needed for  threads: 2 -> 4\n");
    EXPECT_EQ(formatReload(parse(R"({"ok":true,"changes":[],"restart_needed":[]})")),
              "no changes\n");
}

TEST(SockctlAdminFormat, OneLiners) {
    EXPECT_EQ(formatKick(parse(R"({"ok":true,"kicked":[{"id":"c7","nick":"alice"}]})")),
              "kicked c7 (alice)\n");
    EXPECT_EQ(formatKick(parse(R"({"ok":true,"kicked":[{"id":"c8","nick":null}]})")),
              "kicked c8\n");
    EXPECT_EQ(formatSay(parse(R"({"ok":true,"delivered":3})")), "delivered to 3 clients\n");
    EXPECT_EQ(formatSay(parse(R"({"ok":true,"delivered":1})")), "delivered to 1 client\n");
    EXPECT_EQ(formatLogLevel(parse(R"({"ok":true,"level":"debug","was":"info"})")),
              "log level debug (was info)\n");
    EXPECT_EQ(formatMetrics(parse(R"({"ok":true,"text":"# HELP a\na 1\n"})")), "# HELP a\na 1\n");
}

TEST(SockctlAdminFormat, DaemonTextCannotDriveTheTerminal) {
    EXPECT_EQ(printable("a\x1b[2Jb\r\n\x7f\xC2\x9B"
                        "c"),
              "a?[2Jb????c");
    EXPECT_EQ(printable("h\xC3\xA9 \xC2\xA0"), "h\xC3\xA9 \xC2\xA0");  // é and NBSP stay
    const Json reply = parse(R"({"ok":true,"kicked":[{"id":"c7","nick":"a\u001b]0;x\u0007"}]})");
    EXPECT_EQ(formatKick(reply), "kicked c7 (a?]0;x?)\n");
}

TEST(SockctlAdminFormat, MissingOrMistypedFieldsDoNotThrow) {
    EXPECT_NO_THROW(formatStatus(parse(R"({"ok":true})"), false));
    EXPECT_NO_THROW(formatClients(parse(R"({"ok":true,"clients":[1,"x",{"id":5}]})"), false));
    EXPECT_NO_THROW(formatRooms(parse(R"({"ok":true,"rooms":{}})"), false));
    EXPECT_EQ(formatSay(parse(R"({"ok":true})")), "delivered to 0 clients\n");
}

TEST(SockctlAdminReply, OkIsZero) {
    Verdict v = judgeReply(parse(R"({"ok":true})"), "/s");
    EXPECT_EQ(v.exitCode, 0);
    EXPECT_EQ(v.message, "");
}

TEST(SockctlAdminReply, ErrorIsOne) {
    Verdict v = judgeReply(parse(R"({"ok":false,"error":"no such client: bob"})"), "/s");
    EXPECT_EQ(v.exitCode, 1);
    EXPECT_EQ(v.message, "sockctl: no such client: bob\n");
}

TEST(SockctlAdminReply, PermissionDeniedIs77) {
    Verdict v = judgeReply(parse(R"({"ok":false,"error":"permission denied"})"), "/run/a.sock");
    EXPECT_EQ(v.exitCode, 77);
    EXPECT_EQ(v.message,
              "sockctl: permission denied on /run/a.sock: run as root or as a member of the "
              "sockchatd group\n");
}

TEST(SockctlAdminReply, ReloadConfigErrorIs78) {
    Verdict v = judgeReply(
        parse(R"({"ok":false,"error":"/etc/s.yaml:3:5: limits.x: bad","config_error":true})"),
        "/s");
    EXPECT_EQ(v.exitCode, 78);
    EXPECT_EQ(v.message,
              "sockctl: reload failed: /etc/s.yaml:3:5: limits.x: bad\n"
              "sockctl: the running config stays\n");
}

TEST(SockctlAdminReply, NotAnObjectOrNoOkIsOne) {
    EXPECT_EQ(judgeReply(Json::parse("[1]"), "/s").exitCode, 1);
    EXPECT_EQ(judgeReply(Json::parse("not json", nullptr, false), "/s").exitCode, 1);
    EXPECT_EQ(judgeReply(parse(R"({"ok":"yes"})"), "/s").exitCode, 1);
}

}  // namespace
}  // namespace sockctl::admin
