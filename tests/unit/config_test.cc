#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "sockchat/config/loader.h"

namespace sockchat::config {
namespace {

using std::chrono::milliseconds;

// Loads YAML that must be valid.
Config load(std::string_view yaml) {
    LoadResult result = loadConfigString(yaml, "t.yaml");
    EXPECT_TRUE(result.config) << (result.error ? result.error->toString() : "");
    EXPECT_FALSE(result.error);
    return result.config.value_or(Config{});
}

// Loads YAML that must be rejected, and returns the full error line.
std::string error(std::string_view yaml) {
    LoadResult result = loadConfigString(yaml, "t.yaml");
    EXPECT_FALSE(result.config);
    return result.error ? result.error->toString() : "(no error)";
}

Config defaults() {
    Config config;
    config.listen = defaultListeners();
    return config;
}

net::SocketAddress address(std::string_view text) {
    return *net::SocketAddress::parse(text);
}

TEST(ConfigError, FormatsWithAndWithoutPositionAndKey) {
    EXPECT_EQ((ConfigError{"/etc/sockchatd/sockchatd.yaml", 7, 3, "limits.max_line_bytes",
                           "\"4 KB\" is not a size (use e.g. 4KiB)"}
                   .toString()),
              "/etc/sockchatd/sockchatd.yaml:7:3: limits.max_line_bytes: \"4 KB\" is not a size "
              "(use e.g. 4KiB)");
    EXPECT_EQ(
        (ConfigError{"f.yaml", 0, 0, "", "cannot read: No such file or directory"}.toString()),
        "f.yaml: cannot read: No such file or directory");
    EXPECT_EQ((ConfigError{"f.yaml", 2, 1, "", "bad"}.toString()), "f.yaml:2:1: bad");
}

TEST(ServiceName, NamesBothServices) {
    EXPECT_STREQ(serviceName(Service::echo), "echo");
    EXPECT_STREQ(serviceName(Service::chat), "chat");
}

TEST(DefaultListeners, AreLoopbackOnly) {
    std::vector<Listener> listeners = defaultListeners();
    ASSERT_EQ(listeners.size(), 3u);
    EXPECT_EQ(listeners[0].service, Service::echo);
    EXPECT_EQ(listeners[0].address.toString(), "127.0.0.1:8000");
    EXPECT_EQ(listeners[1].service, Service::chat);
    EXPECT_EQ(listeners[1].address.toString(), "127.0.0.1:8001");
    EXPECT_EQ(listeners[2].service, Service::chat);
    EXPECT_EQ(listeners[2].address.toString(), "[::1]:8001");
}

TEST(LoadConfig, EmptyOrCommentOnlyGivesDefaults) {
    EXPECT_EQ(load(""), defaults());
    EXPECT_EQ(load("# nothing here\n\n   # still nothing\n"), defaults());
    EXPECT_EQ(load("---\n"), defaults());
}

TEST(LoadConfig, EmptySectionsGiveDefaults) {
    EXPECT_EQ(load("echo:\nchat:\n  # history: 5\nlimits: {}\nlogging:\n"), defaults());
}

TEST(LoadConfig, ReadsEveryKey) {
    Config c = load(R"(
threads: 4
listen:
  - {service: chat, address: "0.0.0.0:7000"}
  - service: echo
    address: "[::]:7001"
echo: {prefix: ""}
chat:
  default_room: Main.room-1_x
  history: 0
  motd: |
    line one
    line two
  partial_line_timeout: 10ms
limits:
  max_connections: 100
  max_connections_per_ip: 100
  max_line_bytes: 64
  output_buffer_bytes: 4KiB
  idle_timeout: 10m
  messages_per_second: 0.5
  burst: 1
shutdown_timeout: 0
logging: {level: critical, format: json, sink: journald}
admin: {socket: ""}
metrics: {address: "127.0.0.1:9108"}
cluster:
  redis: "127.0.0.1:6379"
  password_file: /run/secrets/redis
  node: chat-a
  prefix: "sc:"
  nick_ttl: 1m
)");
    Config want;
    want.threads = 4;
    want.listen = {{Service::chat, address("0.0.0.0:7000")}, {Service::echo, address("[::]:7001")}};
    want.echo.prefix = "";
    want.chat = {"Main.room-1_x", 0, "line one\nline two\n", milliseconds(10)};
    want.limits = {100, 100, 64, 4096, milliseconds(600'000), 0.5, 1};
    want.shutdown_timeout = milliseconds(0);
    want.logging = {"critical", LogFormat::json, LogSink::journald};
    want.admin.socket = "";
    want.metrics.address = "127.0.0.1:9108";
    want.cluster.redis = *redis::parseEndpoint("127.0.0.1:6379");
    want.cluster.password_file = "/run/secrets/redis";
    want.cluster.node = "chat-a";
    want.cluster.prefix = "sc:";
    want.cluster.nick_ttl = milliseconds(60'000);
    EXPECT_EQ(c, want);
}

TEST(LoadConfig, AcceptsRangeEdges) {
    EXPECT_EQ(load("threads: 1024").threads, 1024u);
    EXPECT_EQ(load("chat: {history: 10000}").chat.history, 10000u);
    EXPECT_EQ(load("chat: {partial_line_timeout: 10s}").chat.partial_line_timeout,
              milliseconds(10'000));
    EXPECT_EQ(load("limits: {max_connections: 1000000}").limits.max_connections, 1'000'000u);
    EXPECT_EQ(load("limits: {max_line_bytes: 1MiB}").limits.max_line_bytes, 1048576u);
    EXPECT_EQ(load("limits: {output_buffer_bytes: 1GiB}").limits.output_buffer_bytes, 1073741824u);
    EXPECT_EQ(load("limits: {messages_per_second: 10000}").limits.messages_per_second, 10000.0);
    EXPECT_EQ(load("limits: {burst: 100000}").limits.burst, 100000u);
    EXPECT_EQ(load("limits: {max_rooms_per_client: 1000}").limits.max_rooms_per_client, 1000u);
    EXPECT_EQ(load("limits: {ipv6_prefix_length: 128}").limits.ipv6_prefix_length, 128u);
    EXPECT_EQ(load("limits: {ipv6_prefix_length: 32}").limits.ipv6_prefix_length, 32u);
    EXPECT_EQ(load("shutdown_timeout: 10m").shutdown_timeout, milliseconds(600'000));
    EXPECT_EQ(load("echo: {prefix: \"" + std::string(256, 'x') + "\"}").echo.prefix.size(), 256u);
    EXPECT_EQ(load("chat: {default_room: " + std::string(32, 'r') + "}").chat.default_room,
              std::string(32, 'r'));
    EXPECT_EQ(load("chat: {motd: \"" + std::string(4096, 'm') + "\"}").chat.motd.size(), 4096u);
    EXPECT_EQ(load("threads: \"8\"").threads, 8u);  // quoting a number is harmless
}

TEST(LoadConfig, LoweringMaxConnectionsCapsTheImplicitPerIpLimit) {
    Limits limits = load("limits: {max_connections: 10}").limits;
    EXPECT_EQ(limits.max_connections, 10u);
    EXPECT_EQ(limits.max_connections_per_ip, 10u);
}

TEST(LoadConfig, PortZeroListenersAreNotDuplicates) {
    Config c = load(
        "listen:\n  - {service: echo, address: \"127.0.0.1:0\"}\n"
        "  - {service: chat, address: \"127.0.0.1:0\"}\n");
    ASSERT_EQ(c.listen.size(), 2u);
    EXPECT_EQ(c.listen[1].service, Service::chat);
    EXPECT_EQ(c.listen[1].address.port(), 0);
}

TEST(LoadConfigErrors, InvalidYaml) {
    EXPECT_EQ(error("threads: [1\n"), "t.yaml:2:1: end of sequence flow not found");
    EXPECT_EQ(error("a: b: c\n"), "t.yaml:1:5: illegal map value");
    EXPECT_EQ(error("echo: *nope\n"), "t.yaml:1:7: the referenced anchor is not defined");
}

TEST(LoadConfigErrors, DocumentMustBeASingleMap) {
    EXPECT_EQ(error("- threads: 1\n"),
              "t.yaml:1:1: expected a map of settings (e.g. \"threads: 0\"), got a sequence");
    EXPECT_EQ(error("hello\n"),
              "t.yaml:1:1: expected a map of settings (e.g. \"threads: 0\"), got \"hello\"");
    EXPECT_EQ(error("threads: 1\n---\nthreads: 2\n"),
              "t.yaml:2:1: expected one YAML document, found more (remove the \"---\")");
}

TEST(LoadConfigErrors, UnknownKeys) {
    EXPECT_EQ(error("threads: 1\nthraeds: 2\n"),
              "t.yaml:2:1: thraeds: unknown key (did you mean \"threads\"?)");
    EXPECT_EQ(error("limits:\n  max_line_byte: 4KiB\n"),
              "t.yaml:2:3: limits.max_line_byte: unknown key (did you mean \"max_line_bytes\"?)");
    EXPECT_EQ(error("logging: {Level: info}\n"),
              "t.yaml:1:11: logging.Level: unknown key (did you mean \"level\"?)");
    EXPECT_EQ(error("colour: yes\n"), "t.yaml:1:1: colour: unknown key");
    EXPECT_EQ(error("listen:\n  - {service: echo, adress: \"127.0.0.1:1\"}\n"),
              "t.yaml:2:21: listen[0].adress: unknown key (did you mean \"address\"?)");
    EXPECT_EQ(error("metrics: {address: \"\", port: 9108}\n"),
              "t.yaml:1:24: metrics.port: unknown key");
}

TEST(LoadConfig, ReadsATlsListener) {
    Config c = load(
        "listen:\n"
        "  - {service: chat, address: \"0.0.0.0:6697\", tls: {certificate: /etc/t/full.pem, "
        "key: /etc/t/key.pem, client_ca: /etc/t/ca.pem, min_version: \"1.3\", ciphers: "
        "HIGH, ciphersuites: TLS_AES_256_GCM_SHA384, handshake_timeout: 3s}}\n"
        "  - {service: chat, address: \"127.0.0.1:8001\"}\n");
    ASSERT_EQ(c.listen.size(), 2u);
    ASSERT_TRUE(c.listen[0].tls);
    EXPECT_EQ(c.listen[0].tls->certificate, "/etc/t/full.pem");
    EXPECT_EQ(c.listen[0].tls->key, "/etc/t/key.pem");
    EXPECT_EQ(c.listen[0].tls->client_ca, "/etc/t/ca.pem");
    EXPECT_EQ(c.listen[0].tls->min_version, "1.3");
    EXPECT_EQ(c.listen[0].tls->ciphers, "HIGH");
    EXPECT_EQ(c.listen[0].tls->ciphersuites, "TLS_AES_256_GCM_SHA384");
    EXPECT_EQ(c.listen[0].tls->handshake_timeout, milliseconds(3000));
    EXPECT_FALSE(c.listen[1].tls);
    // Defaults: TLS 1.2 at least, OpenSSL's ciphers, 10 s to finish a handshake.
    Config d = load(
        "listen:\n  - {service: echo, address: \"127.0.0.1:1\", tls: {certificate: "
        "/c.pem, key: /k.pem}}\n");
    EXPECT_EQ(d.listen[0].tls->min_version, "1.2");
    EXPECT_EQ(d.listen[0].tls->ciphers, "");
    EXPECT_EQ(d.listen[0].tls->handshake_timeout, milliseconds(10000));
}

TEST(LoadConfigErrors, TlsBlock) {
    const std::string head = "listen:\n  - {service: chat, address: \"127.0.0.1:1\", tls: ";
    EXPECT_EQ(error(head + "{key: /k.pem}}\n"), "t.yaml:2:50: listen[0].tls.certificate: missing");
    EXPECT_EQ(error(head + "{certificate: c.pem, key: /k.pem}}\n"),
              "t.yaml:2:64: listen[0].tls.certificate: must be an absolute path");
    EXPECT_EQ(error(head + "{certificate: /c.pem, key: /k.pem, min_version: \"1.1\"}}\n"),
              "t.yaml:2:98: listen[0].tls.min_version: \"1.1\" is not a TLS version (use 1.2 or "
              "1.3)");
    EXPECT_EQ(error(head + "{certificate: /c.pem, key: /k.pem, cert: /x}}\n"),
              "t.yaml:2:85: listen[0].tls.cert: unknown key");
    EXPECT_EQ(
        error(head + "yes}\n"),
        "t.yaml:2:50: listen[0].tls: expected a map like {certificate: "
        "/etc/sockchatd/tls/fullchain.pem, key: /etc/sockchatd/tls/privkey.pem}, got \"yes\"");
}

TEST(LoadConfigErrors, DuplicateKeys) {
    EXPECT_EQ(error("threads: 1\necho: {}\nthreads: 2\n"),
              "t.yaml:3:1: threads: duplicate key (first at line 1)");
}

TEST(LoadConfigErrors, WrongTypes) {
    EXPECT_EQ(error("threads: abc\n"), "t.yaml:1:10: threads: expected an integer, got \"abc\"");
    EXPECT_EQ(error("threads: 1.5\n"), "t.yaml:1:10: threads: expected an integer, got \"1.5\"");
    EXPECT_EQ(error("threads: {a: 1}\n"), "t.yaml:1:10: threads: expected an integer, got a map");
    EXPECT_EQ(error("threads: [1]\n"), "t.yaml:1:10: threads: expected an integer, got a sequence");
    EXPECT_EQ(error("threads:\necho: {}\n"),
              "t.yaml:1:1: threads: expected an integer, got an empty value");
    EXPECT_EQ(error("echo: hello\n"), "t.yaml:1:7: echo: expected a map, got \"hello\"");
    EXPECT_EQ(error("echo: {prefix: [a]}\n"),
              "t.yaml:1:16: echo.prefix: expected a string, got a sequence");
    EXPECT_EQ(error("echo:\n  prefix:\n"),
              "t.yaml:2:3: echo.prefix: expected a string, got an empty value (use \"\" for "
              "none)");
    EXPECT_EQ(error("limits: {messages_per_second: fast}\n"),
              "t.yaml:1:31: limits.messages_per_second: expected a number, got \"fast\"");
    EXPECT_EQ(error("limits: {messages_per_second: .inf}\n"),
              "t.yaml:1:31: limits.messages_per_second: expected a number, got \".inf\"");
    EXPECT_EQ(error("limits: {idle_timeout: {}}\n"),
              "t.yaml:1:24: limits.idle_timeout: expected a duration, got a map");
    EXPECT_EQ(error("limits: {max_line_bytes: [1]}\n"),
              "t.yaml:1:26: limits.max_line_bytes: expected a size, got a sequence");
    EXPECT_EQ(error("logging: {level: [info]}\n"),
              "t.yaml:1:18: logging.level: expected one of trace, debug, info, warn, error or "
              "critical, got a sequence");
}

TEST(LoadConfigErrors, IntegerRanges) {
    EXPECT_EQ(error("threads: -1\n"), "t.yaml:1:10: threads: must be ≥ 0");
    EXPECT_EQ(error("threads: 1025\n"), "t.yaml:1:10: threads: must be ≤ 1024");
    EXPECT_EQ(error("threads: 99999999999999999999999\n"), "t.yaml:1:10: threads: must be ≤ 1024");
    EXPECT_EQ(error("chat: {history: 10001}\n"), "t.yaml:1:17: chat.history: must be ≤ 10000");
    EXPECT_EQ(error("limits: {max_connections: 0}\n"),
              "t.yaml:1:27: limits.max_connections: must be ≥ 1");
    EXPECT_EQ(error("limits: {max_connections: 1000001}\n"),
              "t.yaml:1:27: limits.max_connections: must be ≤ 1000000");
    EXPECT_EQ(error("limits: {max_connections_per_ip: 0}\n"),
              "t.yaml:1:34: limits.max_connections_per_ip: must be ≥ 1");
    EXPECT_EQ(error("limits: {burst: 0}\n"), "t.yaml:1:17: limits.burst: must be ≥ 1");
    EXPECT_EQ(error("limits: {burst: 100001}\n"), "t.yaml:1:17: limits.burst: must be ≤ 100000");
    EXPECT_EQ(error("limits: {max_rooms_per_client: 0}\n"),
              "t.yaml:1:32: limits.max_rooms_per_client: must be ≥ 1");
    EXPECT_EQ(error("limits: {ipv6_prefix_length: 31}\n"),
              "t.yaml:1:30: limits.ipv6_prefix_length: must be ≥ 32");
    EXPECT_EQ(error("limits: {ipv6_prefix_length: 129}\n"),
              "t.yaml:1:30: limits.ipv6_prefix_length: must be ≤ 128");
}

TEST(LoadConfigErrors, PerIpLimitAboveTotal) {
    EXPECT_EQ(error("limits:\n  max_connections: 10\n  max_connections_per_ip: 11\n"),
              "t.yaml:3:27: limits.max_connections_per_ip: must be ≤ limits.max_connections "
              "(10)");
    EXPECT_EQ(error("limits: {max_connections_per_ip: 10001}\n"),
              "t.yaml:1:34: limits.max_connections_per_ip: must be ≤ limits.max_connections "
              "(10000)");
}

TEST(LoadConfigErrors, MessagesPerSecondRange) {
    EXPECT_EQ(error("limits: {messages_per_second: 0}\n"),
              "t.yaml:1:31: limits.messages_per_second: must be > 0");
    EXPECT_EQ(error("limits: {messages_per_second: -2.5}\n"),
              "t.yaml:1:31: limits.messages_per_second: must be > 0");
    EXPECT_EQ(error("limits: {messages_per_second: 10000.5}\n"),
              "t.yaml:1:31: limits.messages_per_second: must be ≤ 10000");
}

TEST(LoadConfigErrors, Sizes) {
    EXPECT_EQ(error("limits:\n  max_line_bytes: 4 KB\n"),
              "t.yaml:2:19: limits.max_line_bytes: \"4 KB\" is not a size (use e.g. 4KiB)");
    EXPECT_EQ(error("limits: {max_line_bytes: 63}\n"),
              "t.yaml:1:26: limits.max_line_bytes: must be ≥ 64");
    EXPECT_EQ(error("limits: {max_line_bytes: 2MiB}\n"),
              "t.yaml:1:26: limits.max_line_bytes: must be ≤ 1MiB");
    EXPECT_EQ(error("limits: {output_buffer_bytes: 4095}\n"),
              "t.yaml:1:31: limits.output_buffer_bytes: must be ≥ 4KiB");
    EXPECT_EQ(error("limits: {output_buffer_bytes: 2GiB}\n"),
              "t.yaml:1:31: limits.output_buffer_bytes: must be ≤ 1GiB");
    EXPECT_EQ(error("limits: {max_line_bytes: 64KiB, output_buffer_bytes: 32KiB}\n"),
              "t.yaml:1:54: limits.output_buffer_bytes: must be ≥ limits.max_line_bytes "
              "(64KiB)");
}

TEST(LoadConfigErrors, Durations) {
    EXPECT_EQ(error("shutdown_timeout: 5\n"),
              "t.yaml:1:19: shutdown_timeout: \"5\" is not a duration (use e.g. 250ms, 5s, 10m)");
    EXPECT_EQ(error("shutdown_timeout: 11m\n"), "t.yaml:1:19: shutdown_timeout: must be ≤ 10m");
    EXPECT_EQ(error("chat: {partial_line_timeout: 9ms}\n"),
              "t.yaml:1:30: chat.partial_line_timeout: must be ≥ 10ms");
    EXPECT_EQ(error("chat: {partial_line_timeout: 10001ms}\n"),
              "t.yaml:1:30: chat.partial_line_timeout: must be ≤ 10s");
    EXPECT_EQ(error("limits: {idle_timeout: 99999999999999999999h}\n"),
              "t.yaml:1:24: limits.idle_timeout: \"99999999999999999999h\" is too large");
}

TEST(LoadConfigErrors, Strings) {
    EXPECT_EQ(error("echo: {prefix: \"" + std::string(257, 'x') + "\"}\n"),
              "t.yaml:1:16: echo.prefix: must be ≤ 256 bytes (it is 257)");
    EXPECT_EQ(error("chat: {motd: \"" + std::string(4097, 'm') + "\"}\n"),
              "t.yaml:1:14: chat.motd: must be ≤ 4096 bytes (it is 4097)");
    EXPECT_EQ(error("chat: {default_room: \"\"}\n"),
              "t.yaml:1:22: chat.default_room: must not be empty");
    EXPECT_EQ(error("chat: {default_room: " + std::string(33, 'r') + "}\n"),
              "t.yaml:1:22: chat.default_room: must be ≤ 32 characters (it is 33)");
    EXPECT_EQ(error("chat: {default_room: \"the lobby\"}\n"),
              "t.yaml:1:22: chat.default_room: \"the lobby\" may only contain letters, digits, "
              "\"_\", \".\" and \"-\"");
    EXPECT_EQ(error("chat: {default_room: \"caf\xc3\xa9\"}\n"),
              "t.yaml:1:22: chat.default_room: \"caf\xc3\xa9\" may only contain letters, digits, "
              "\"_\", \".\" and \"-\"");
}

TEST(LoadConfigErrors, Choices) {
    EXPECT_EQ(error("logging:\n  level: verbose\n"),
              "t.yaml:2:10: logging.level: \"verbose\" is not a log level (use trace, debug, "
              "info, warn, error or critical)");
    EXPECT_EQ(error("logging: {level: INFO}\n"),
              "t.yaml:1:18: logging.level: \"INFO\" is not a log level (use trace, debug, info, "
              "warn, error or critical)");
    EXPECT_EQ(error("logging: {format: xml}\n"),
              "t.yaml:1:19: logging.format: \"xml\" is not a log format (use text or json)");
    EXPECT_EQ(error("logging: {sink: syslog}\n"),
              "t.yaml:1:17: logging.sink: \"syslog\" is not a log sink (use auto, console or "
              "journald)");
}

TEST(LoadConfigErrors, ListenShape) {
    EXPECT_EQ(error("listen: []\n"), "t.yaml:1:9: listen: must list at least one listener");
    EXPECT_EQ(error("listen:\nthreads: 1\n"),
              "t.yaml:1:1: listen: must list at least one listener");
    EXPECT_EQ(error("listen: \"127.0.0.1:8000\"\n"),
              "t.yaml:1:9: listen: expected a sequence of {service, address} maps, got "
              "\"127.0.0.1:8000\"");
    EXPECT_EQ(error("listen:\n  - \"127.0.0.1:8000\"\n"),
              "t.yaml:2:5: listen[0]: expected a map like {service: echo, address: "
              "\"127.0.0.1:8000\"}, got \"127.0.0.1:8000\"");
}

TEST(LoadConfigErrors, ListenEntries) {
    const std::string first = "listen:\n  - {service: echo, address: \"127.0.0.1:8000\"}\n";
    EXPECT_EQ(error(first + "  - {service: chat}\n"), "t.yaml:3:5: listen[1].address: missing");
    EXPECT_EQ(error(first + "  - address: \"127.0.0.1:8001\"\n"),
              "t.yaml:3:5: listen[1].service: missing");
    EXPECT_EQ(error(first + "  - {service: http, address: \"127.0.0.1:8001\"}\n"),
              "t.yaml:3:15: listen[1].service: \"http\" is not a service (use echo or chat)");
    EXPECT_EQ(error(first + "  - {service: chat, address: \"example.com:8001\"}\n"),
              "t.yaml:3:30: listen[1].address: \"example.com\" is not a numeric IP address (use "
              "e.g. 127.0.0.1:8000 or [::1]:8000)");
    EXPECT_EQ(error(first + "  - {service: chat, address: \"127.0.0.1\"}\n"),
              "t.yaml:3:30: listen[1].address: missing port (use e.g. 127.0.0.1:8000)");
    EXPECT_EQ(error(first + "  - {service: chat, address: \"127.0.0.1:99999\"}\n"),
              "t.yaml:3:30: listen[1].address: port \"99999\" is out of range 0..65535");
}

TEST(LoadConfigErrors, DuplicateListener) {
    EXPECT_EQ(error("listen:\n"
                    "  - {service: echo, address: \"127.0.0.1:8000\"}\n"
                    "  - {service: chat, address: \"[::1]:8000\"}\n"
                    "  - {service: chat, address: \"127.0.0.1:8000\"}\n"),
              "t.yaml:4:30: listen[2].address: duplicate listener 127.0.0.1:8000 (also listen[0])");
}

// n echo listeners on 127.0.0.1, ports 1..n, one a line after "listen:".
std::string listeners(std::size_t n) {
    std::string yaml = "listen:\n";
    for (std::size_t i = 1; i <= n; ++i)
        yaml += "  - {service: echo, address: \"127.0.0.1:" + std::to_string(i) + "\"}\n";
    return yaml;
}

TEST(LoadConfigErrors, TooManyListenersPointAtTheFirstOneTooMany) {
    EXPECT_EQ(load(listeners(kMaxListeners)).listen.size(), kMaxListeners);
    EXPECT_EQ(error(listeners(kMaxListeners + 1)),
              "t.yaml:1026:5: listen: at most 1024 listeners (it lists 1025)");
}

TEST(LoadConfigErrors, DuplicateListenerAmongManyNamesTheFirst) {
    EXPECT_EQ(error(listeners(1000) + "  - {service: chat, address: \"127.0.0.1:500\"}\n" +
                    "  - {service: chat, address: \"127.0.0.1:500\"}\n"),
              "t.yaml:1002:30: listen[1000].address: duplicate listener 127.0.0.1:500 (also "
              "listen[499])");
    // Equal text, different port 0 listeners: ephemeral ports never clash.
    EXPECT_EQ(load(listeners(0) + "  - {service: echo, address: \"127.0.0.1:0\"}\n" +
                   "  - {service: chat, address: \"127.0.0.1:0\"}\n")
                  .listen.size(),
              2u);
}

TEST(LoadConfigErrors, DeepFlowNestingIsRefusedWhereItGoesTooDeep) {
    EXPECT_EQ(error(std::string(10000, '[')),
              "t.yaml:1:65: nesting too deep (more than 64 levels)");
    EXPECT_EQ(error(std::string(10000, '{')),
              "t.yaml:1:65: nesting too deep (more than 64 levels)");
    EXPECT_EQ(error("threads: 1\nlisten: " + std::string(10000, '[')),
              "t.yaml:2:73: nesting too deep (more than 64 levels)");
}

TEST(LoadConfigErrors, DeepBlockNestingIsRefusedWhereItGoesTooDeep) {
    std::string yaml;
    for (int i = 0; i < 100; ++i) yaml += std::string(static_cast<std::size_t>(i), ' ') + "k:\n";
    EXPECT_EQ(error(yaml), "t.yaml:65:65: nesting too deep (more than 64 levels)");
}

TEST(LoadConfigErrors, NestingUpToTheLimitIsNoNestingError) {
    // The top-level map is one level, 63 sequences make 64.
    std::string yaml = "threads: " + std::string(63, '[') + std::string(63, ']') + "\n";
    EXPECT_EQ(error(yaml), "t.yaml:1:10: threads: expected an integer, got a sequence");
}

TEST(LoadConfig, BracketsInScalarsAndCommentsAreNotNesting) {
    const std::string many(100, '[');
    EXPECT_EQ(load("echo: {prefix: \"" + many + "\"}\n").echo.prefix, many);
    EXPECT_EQ(load("echo: {prefix: 'it''s " + many + "'}\n").echo.prefix, "it's " + many);
    EXPECT_EQ(load("echo:\n  prefix: a" + many + "\n").echo.prefix, "a" + many);
    EXPECT_EQ(load("echo: {prefix: \"\\\" " + many + "\"}\n").echo.prefix, "\" " + many);
    EXPECT_EQ(load("# " + many + "\nthreads: 2 # " + many + "\n").threads, 2u);
}

TEST(LoadConfigErrors, NulBytePointsAtTheNul) {
    using namespace std::string_literals;
    EXPECT_EQ(error("threads: 1\nlisten:\n  - {service: echo, addr\0ess: x}\n"s),
              "t.yaml:3:25: NUL byte: a config file is text");
    // Even where yaml-cpp would never look: in a comment.
    EXPECT_EQ(error("threads: 1 # \0\n"s), "t.yaml:1:14: NUL byte: a config file is text");
}

TEST(LoadConfigErrors, TextLargerThanTheCap) {
    std::string comments = std::string(kMaxConfigBytes - 1, '#') + "\n";
    EXPECT_EQ(load(comments), defaults());
    EXPECT_EQ(error(comments + "\n"), "t.yaml: larger than 1MiB, the limit for a config file");
}

TEST(LoadConfigErrors, AdminSocket) {
    EXPECT_EQ(error("admin: {socket: admin.sock}\n"),
              "t.yaml:1:17: admin.socket: must be an absolute path, or \"\" to turn the admin "
              "socket off");
    EXPECT_EQ(error("admin: {socket: /" + std::string(107, 'a') + "}\n"),
              "t.yaml:1:17: admin.socket: must be ≤ 107 bytes, the limit for a Unix socket path "
              "(it is 108)");
    EXPECT_EQ(load("admin: {socket: /" + std::string(106, 'a') + "}\n").admin.socket.size(), 107u);
}

TEST(LoadConfigErrors, AdminGroup) {
    EXPECT_EQ(load("admin: {group: wheel}\n").admin.group, "wheel");
    EXPECT_EQ(load("admin: {group: \"\"}\n").admin.group, "");
    EXPECT_EQ(load("").admin.group, "sockchatd");
    EXPECT_EQ(error("admin: {group: \"a b\"}\n"),
              "t.yaml:1:16: admin.group: must be a group name (letters, digits, '_', '-', '.'), "
              "or \"\" for the daemon's own group");
}

TEST(LoadConfigErrors, MetricsAddress) {
    EXPECT_EQ(error("metrics: {address: \"localhost:9108\"}\n"),
              "t.yaml:1:20: metrics.address: \"localhost\" is not a numeric IP address (use e.g. "
              "127.0.0.1:8000 or [::1]:8000)");
    EXPECT_EQ(load("metrics: {address: \"[::1]:9108\"}\n").metrics.address, "[::1]:9108");
}

TEST(LoadConfigErrors, KeyPositionInsideNestedBlock) {
    // The example from the design: a bad value points at the value, 1-based.
    EXPECT_EQ(error("threads: 0\n"
                    "echo:\n"
                    "  prefix: \"hi \"\n"
                    "limits:\n"
                    "  max_connections: 10\n"
                    "  # a comment\n"
                    "  max_line_bytes: \"4 KB\"\n"),
              "t.yaml:7:19: limits.max_line_bytes: \"4 KB\" is not a size (use e.g. 4KiB)");
}

redis::Endpoint endpoint(std::string_view text) {
    return *redis::parseEndpoint(text);
}

TEST(LoadConfigCluster, DefaultIsASingleDaemon) {
    Cluster cluster = load("cluster:\n").cluster;
    EXPECT_EQ(cluster, Cluster{});
    EXPECT_FALSE(cluster.redis);
    EXPECT_EQ(cluster.password_file, "");
    EXPECT_EQ(cluster.node, "");
    EXPECT_EQ(cluster.prefix, "sockchat:");
    EXPECT_EQ(cluster.nick_ttl, milliseconds(15'000));
    EXPECT_TRUE(cluster.sentinels.empty());
    EXPECT_EQ(cluster.master, "");
    EXPECT_EQ(load("cluster: {redis: \"\", sentinels: [], master: \"\"}").cluster, Cluster{});
}

TEST(LoadConfigCluster, ReadsEveryKey) {
    Cluster want;
    want.redis = endpoint("[::1]:6379");
    want.password_file = "/etc/sockchatd/redis.password";
    want.node = "chat-1.eu_west";
    want.prefix = "{chat}:";
    want.nick_ttl = milliseconds(30'000);
    EXPECT_EQ(load("cluster:\n"
                   "  redis: \"[::1]:6379\"\n"
                   "  password_file: /etc/sockchatd/redis.password\n"
                   "  node: chat-1.eu_west\n"
                   "  prefix: \"{chat}:\"\n"
                   "  nick_ttl: 30s\n")
                  .cluster,
              want);
    EXPECT_EQ(load("cluster: {redis: \"unix:/run/redis/redis.sock\"}").cluster.redis,
              endpoint("unix:/run/redis/redis.sock"));
    EXPECT_EQ(load("cluster: {redis: \"redis.internal:6379\"}").cluster.redis,
              endpoint("redis.internal:6379"));
}

TEST(LoadConfigCluster, ReadsSentinels) {
    Cluster cluster = load(
                          "cluster:\n"
                          "  sentinels: [\"10.0.0.1:26379\", \"sentinel-2:26379\", "
                          "\"[fd00::3]:26379\"]\n"
                          "  master: mymaster\n")
                          .cluster;
    EXPECT_FALSE(cluster.redis);
    EXPECT_EQ(cluster.sentinels, (std::vector<redis::Endpoint>{endpoint("10.0.0.1:26379"),
                                                               endpoint("sentinel-2:26379"),
                                                               endpoint("[fd00::3]:26379")}));
    EXPECT_EQ(cluster.master, "mymaster");
}

TEST(LoadConfigCluster, RangeEdges) {
    EXPECT_EQ(load("cluster: {nick_ttl: 3s}").cluster.nick_ttl, milliseconds(3'000));
    EXPECT_EQ(load("cluster: {nick_ttl: 1h}").cluster.nick_ttl, milliseconds(3'600'000));
    EXPECT_EQ(load("cluster: {node: " + std::string(64, 'n') + "}").cluster.node,
              std::string(64, 'n'));
    EXPECT_EQ(load("cluster: {node: x}").cluster.node, "x");
    EXPECT_EQ(load("cluster: {prefix: \"" + std::string(64, '~') + "\"}").cluster.prefix,
              std::string(64, '~'));
    EXPECT_EQ(load("cluster: {prefix: \"!\"}").cluster.prefix, "!");
}

TEST(LoadConfigClusterErrors, UnknownKey) {
    EXPECT_EQ(error("cluster: {redis_address: \"\"}\n"),
              "t.yaml:1:11: cluster.redis_address: unknown key");
    EXPECT_EQ(error("cluster:\n  nick-ttl: 15s\n"),
              "t.yaml:2:3: cluster.nick-ttl: unknown key (did you mean \"nick_ttl\"?)");
    EXPECT_EQ(error("cluster:\n  password: hunter2\n"),
              "t.yaml:2:3: cluster.password: unknown key");
    EXPECT_EQ(error("cluster: redis\n"), "t.yaml:1:10: cluster: expected a map, got \"redis\"");
}

TEST(LoadConfigClusterErrors, Redis) {
    EXPECT_EQ(error("cluster: {redis: \"127.0.0.1\"}\n"),
              "t.yaml:1:18: cluster.redis: missing port (use e.g. 127.0.0.1:6379)");
    EXPECT_EQ(error("cluster: {redis: \"::1:6379\"}\n"),
              "t.yaml:1:18: cluster.redis: put an IPv6 address in brackets (use e.g. "
              "[::1]:6379)");
    EXPECT_EQ(error("cluster: {redis: \"/run/redis.sock\"}\n"),
              "t.yaml:1:18: cluster.redis: write a Unix socket as \"unix:/run/redis.sock\"");
    EXPECT_EQ(error("cluster: {redis: [a]}\n"),
              "t.yaml:1:18: cluster.redis: expected a string, got a sequence");
}

TEST(LoadConfigClusterErrors, PasswordFileMustBeAbsolute) {
    EXPECT_EQ(error("cluster: {password_file: redis.password}\n"),
              "t.yaml:1:26: cluster.password_file: must be an absolute path, or \"\" for no AUTH");
    // The loader never opens it: a missing file is the startup's business, not `sockchatd -t`'s.
    EXPECT_EQ(load("cluster: {password_file: /nonexistent/redis.password}").cluster.password_file,
              "/nonexistent/redis.password");
}

TEST(LoadConfigClusterErrors, Node) {
    const std::string reason =
        "must be 1-64 letters, digits, \"_\", \".\" and \"-\", or \"\" for the host name and pid";
    EXPECT_EQ(error("cluster: {node: " + std::string(65, 'n') + "}\n"),
              "t.yaml:1:17: cluster.node: " + reason);
    EXPECT_EQ(error("cluster: {node: \"chat 1\"}\n"), "t.yaml:1:17: cluster.node: " + reason);
    EXPECT_EQ(error("cluster: {node: \"chat:1\"}\n"), "t.yaml:1:17: cluster.node: " + reason);
}

TEST(LoadConfigClusterErrors, Prefix) {
    const std::string reason = "must be 1-64 printable ASCII characters without spaces";
    EXPECT_EQ(error("cluster: {prefix: \"\"}\n"), "t.yaml:1:19: cluster.prefix: " + reason);
    EXPECT_EQ(error("cluster: {prefix: \"" + std::string(65, 'p') + "\"}\n"),
              "t.yaml:1:19: cluster.prefix: " + reason);
    EXPECT_EQ(error("cluster: {prefix: \"sock chat:\"}\n"),
              "t.yaml:1:19: cluster.prefix: " + reason);
    EXPECT_EQ(error("cluster: {prefix: \"tab\\t\"}\n"), "t.yaml:1:19: cluster.prefix: " + reason);
    EXPECT_EQ(error("cluster: {prefix: \"caf\xc3\xa9:\"}\n"),
              "t.yaml:1:19: cluster.prefix: " + reason);
}

TEST(LoadConfigClusterErrors, NickTtlRange) {
    EXPECT_EQ(error("cluster: {nick_ttl: 2999ms}\n"),
              "t.yaml:1:21: cluster.nick_ttl: must be ≥ 3s");
    EXPECT_EQ(error("cluster: {nick_ttl: 61m}\n"), "t.yaml:1:21: cluster.nick_ttl: must be ≤ 1h");
    EXPECT_EQ(error("cluster: {nick_ttl: 15}\n"),
              "t.yaml:1:21: cluster.nick_ttl: \"15\" is not a duration (use e.g. 250ms, 5s, 10m)");
}

TEST(LoadConfigClusterErrors, SentinelEntries) {
    EXPECT_EQ(error("cluster: {sentinels: \"10.0.0.1:26379\", master: m}\n"),
              "t.yaml:1:22: cluster.sentinels: expected a sequence of \"host:port\" strings, got "
              "\"10.0.0.1:26379\"");
    EXPECT_EQ(error("cluster:\n  master: m\n  sentinels:\n    - \"10.0.0.1:26379\"\n"
                    "    - \"10.0.0.2\"\n"),
              "t.yaml:5:7: cluster.sentinels[1]: missing port (use e.g. 127.0.0.1:6379)");
    EXPECT_EQ(error("cluster: {sentinels: [\"unix:/run/sentinel.sock\"], master: m}\n"),
              "t.yaml:1:23: cluster.sentinels[0]: must be host:port: Sentinel is reached over TCP");
    EXPECT_EQ(error("cluster: {sentinels: [{host: a}], master: m}\n"),
              "t.yaml:1:23: cluster.sentinels[0]: expected a string, got a map");
}

TEST(LoadConfigClusterErrors, MasterIffSentinels) {
    EXPECT_EQ(error("cluster:\n  sentinels: [\"10.0.0.1:26379\"]\n"),
              "t.yaml:2:3: cluster.master: required with cluster.sentinels (the master's name in "
              "Sentinel)");
    EXPECT_EQ(error("cluster:\n  sentinels: [\"10.0.0.1:26379\"]\n  master: \"\"\n"),
              "t.yaml:3:11: cluster.master: required with cluster.sentinels (the master's name in "
              "Sentinel)");
    EXPECT_EQ(error("cluster: {redis: \"127.0.0.1:6379\", master: mymaster}\n"),
              "t.yaml:1:44: cluster.master: only used with cluster.sentinels");
    EXPECT_EQ(error("cluster: {master: mymaster, sentinels: []}\n"),
              "t.yaml:1:19: cluster.master: only used with cluster.sentinels");
}

TEST(LoadConfigClusterErrors, RedisAndSentinelsAreExclusive) {
    EXPECT_EQ(error("cluster:\n  redis: \"127.0.0.1:6379\"\n"
                    "  sentinels: [\"10.0.0.1:26379\"]\n  master: mymaster\n"),
              "t.yaml:3:14: cluster.sentinels: set either cluster.redis or cluster.sentinels");
}

class ConfigFileTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/sockchat_config_testXXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override {
        std::remove((dir_ + "/c.yaml").c_str());
        ::rmdir(dir_.c_str());
    }
    std::string write(const std::string& text) {
        std::string path = dir_ + "/c.yaml";
        std::ofstream(path) << text;
        return path;
    }
    std::string dir_;
};

TEST_F(ConfigFileTest, LoadsAFile) {
    std::string path = write("threads: 3\n");
    LoadResult result = loadConfigFile(path);
    ASSERT_TRUE(result.config);
    EXPECT_EQ(result.config->threads, 3u);
    EXPECT_EQ(result.config->listen, defaultListeners());
}

TEST_F(ConfigFileTest, ErrorsNameTheFile) {
    std::string path = write("threads: 3\nlimits:\n  burst: 0\n");
    LoadResult result = loadConfigFile(path);
    ASSERT_TRUE(result.error);
    EXPECT_FALSE(result.config);
    EXPECT_EQ(result.error->toString(), path + ":3:10: limits.burst: must be ≥ 1");
    EXPECT_EQ(*result.error, (ConfigError{path, 3, 10, "limits.burst", "must be ≥ 1"}));
}

TEST_F(ConfigFileTest, MissingFile) {
    LoadResult result = loadConfigFile(dir_ + "/absent.yaml");
    ASSERT_TRUE(result.error);
    EXPECT_FALSE(result.config);
    EXPECT_EQ(result.error->toString(),
              dir_ + "/absent.yaml: cannot read: No such file or directory");
}

TEST_F(ConfigFileTest, DirectoryIsNotARegularFile) {
    LoadResult result = loadConfigFile(dir_);
    ASSERT_TRUE(result.error);
    EXPECT_EQ(result.error->toString(), dir_ + ": not a regular file (directory)");
}

// /dev/zero never ends: it must be refused before a byte is read. (A FIFO is in the CLI tests,
// which bound the time a run may take.)
TEST_F(ConfigFileTest, CharacterDeviceIsNotARegularFile) {
    LoadResult result = loadConfigFile("/dev/zero");
    ASSERT_TRUE(result.error);
    EXPECT_EQ(result.error->toString(), "/dev/zero: not a regular file (character device)");
}

TEST_F(ConfigFileTest, FileUpToTheCapIsReadAndOneByteMoreIsRefused) {
    std::string text = "threads: 3\n";
    text += std::string(kMaxConfigBytes - text.size() - 1, '#') + "\n";
    std::string path = write(text);
    LoadResult result = loadConfigFile(path);
    ASSERT_TRUE(result.config) << result.error->toString();
    EXPECT_EQ(result.config->threads, 3u);
    path = write(text + "\n");
    result = loadConfigFile(path);
    ASSERT_TRUE(result.error);
    EXPECT_EQ(result.error->toString(), path + ": larger than 1MiB, the limit for a config file");
}

}  // namespace
}  // namespace sockchat::config
