// The daemon's command line: config checking, config errors, bind errors, usage errors, exit
// codes, and where -f and logging.sink send the log.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "daemon_process.h"
#include "sockchat/net/address.h"
#include "sockchat/net/socket.h"

using namespace sockchat::testing;

TEST(Cli, CheckConfigAcceptsTheShippedFile) {
    auto r = runProgram({SOCKCHATD_BIN, "-t", "-c", SHIPPED_CONFIG});
    EXPECT_EQ(r.exitCode, 0) << r.stderrText;
    EXPECT_NE(r.stdoutText.find("configuration ok"), std::string::npos) << r.stdoutText;
}

TEST(Cli, CheckConfigRejectsABadValueWithFileLineAndKey) {
    TempFile cfg("threads: 2\nlimits:\n  max_line_bytes: \"4 KB\"\n");
    auto r = runProgram({SOCKCHATD_BIN, "-t", "-c", cfg.path()});
    EXPECT_EQ(r.exitCode, 78);
    EXPECT_EQ(r.stderrText,
              "sockchatd: " + cfg.path() +
                  ":3:19: limits.max_line_bytes: \"4 KB\" is not a size (use e.g. 4KiB)\n");
    EXPECT_EQ(r.stdoutText, "");
}

TEST(Cli, CheckConfigNeitherReadsThePasswordFileNorConnects) {
    // Nothing listens on port 1 and the password file does not exist: -t checks syntax only.
    TempFile cfg(
        "cluster:\n  redis: \"127.0.0.1:1\"\n  password_file: /nonexistent/redis.password\n");
    auto r = runProgram({SOCKCHATD_BIN, "-t", "-c", cfg.path()});
    EXPECT_EQ(r.exitCode, 0) << r.stderrText;
    EXPECT_NE(r.stdoutText.find("configuration ok"), std::string::npos) << r.stdoutText;
}

TEST(Cli, CheckConfigRejectsABadClusterKey) {
    TempFile cfg("cluster:\n  nick_ttl: 1s\n");
    auto r = runProgram({SOCKCHATD_BIN, "-t", "-c", cfg.path()});
    EXPECT_EQ(r.exitCode, 78);
    EXPECT_EQ(r.stderrText, "sockchatd: " + cfg.path() + ":2:13: cluster.nick_ttl: must be ≥ 3s\n");
}

TEST(Cli, MissingConfigFileIsAConfigError) {
    auto r = runProgram({SOCKCHATD_BIN, "-c", "/nonexistent/sockchatd.yaml"});
    EXPECT_EQ(r.exitCode, 78);
    EXPECT_NE(r.stderrText.find("/nonexistent/sockchatd.yaml"), std::string::npos) << r.stderrText;
    EXPECT_NE(r.stderrText.find("No such file or directory"), std::string::npos) << r.stderrText;
}

// A config that never ends (/dev/zero) or never starts (a FIFO nobody writes to) is refused unread,
// at once: the bound is far above what a refusal takes, where the daemon used to read /dev/zero
// until memory ran out and wait for the FIFO's writer forever.
TEST(Cli, CheckConfigRefusesACharacterDeviceUnread) {
    auto r = runProgram({SOCKCHATD_BIN, "-t", "-c", "/dev/zero"}, 5s);
    EXPECT_EQ(r.signal, 0);
    EXPECT_EQ(r.exitCode, 78);
    EXPECT_EQ(r.stderrText, "sockchatd: /dev/zero: not a regular file (character device)\n");
}

TEST(Cli, CheckConfigRefusesAFifoWithoutWaitingForAWriter) {
    TempFile cfg("");
    std::filesystem::remove(cfg.path());
    ASSERT_EQ(::mkfifo(cfg.path().c_str(), 0600), 0) << std::strerror(errno);
    auto r = runProgram({SOCKCHATD_BIN, "-t", "-c", cfg.path()}, 5s);
    EXPECT_EQ(r.signal, 0);
    EXPECT_EQ(r.exitCode, 78);
    EXPECT_EQ(r.stderrText, "sockchatd: " + cfg.path() + ": not a regular file (FIFO)\n");
}

TEST(Cli, CheckConfigRefusesAFileOverTheCap) {
    TempFile cfg("threads: 2\n" + std::string(1024 * 1024, '#') + "\n");
    auto r = runProgram({SOCKCHATD_BIN, "-t", "-c", cfg.path()});
    EXPECT_EQ(r.exitCode, 78);
    EXPECT_EQ(r.stderrText,
              "sockchatd: " + cfg.path() + ": larger than 1MiB, the limit for a config file\n");
}

// Address-space limits only in the plain build: the sanitizers reserve terabytes of address
// space for their shadow memory and cannot start under one (SOCKCHAT_SANITIZED, set by
// tests/integration/CMakeLists.txt).
#ifndef SOCKCHAT_SANITIZED
// Runs sockchatd under prlimit(1) with these limits, e.g. "--as=104857600".
ProcessResult runLimited(std::vector<std::string> limits, const std::vector<std::string>& args) {
    limits.insert(limits.begin(), "/usr/bin/prlimit");
    limits.push_back(SOCKCHATD_BIN);
    limits.insert(limits.end(), args.begin(), args.end());
    return runProgram(limits, 20s);
}

// Running out of memory while loading the config is a config error on one line (exit 78), never
// an uncaught std::bad_alloc (abort, exit 134).
TEST(Cli, OutOfMemoryWhileLoadingTheConfigIsOneLineAndExit78) {
    if (::access("/usr/bin/prlimit", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/prlimit";
    // Just under the size cap, half a million one-letter scalars: yaml-cpp needs ~250 MB of nodes.
    std::string yaml = "listen: [";
    while (yaml.size() < 1024 * 1024 - 16) yaml += "a,";
    TempFile cfg(yaml + "a]\n");
    auto r = runLimited({"--as=" + std::to_string(100 << 20)}, {"-t", "-c", cfg.path()});
    EXPECT_EQ(r.signal, 0);
    EXPECT_EQ(r.exitCode, 78);
    EXPECT_EQ(r.stderrText, "sockchatd: " + cfg.path() + ": out of memory while loading it\n");
}

// A run of brackets as long as the size cap allows is refused at its 65th, before yaml-cpp's
// scanner queues a token for each (~250 MB for this file, which 100 MiB would not hold).
TEST(Cli, DeepNestingIsRefusedBeforeYamlCppReadsIt) {
    if (::access("/usr/bin/prlimit", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/prlimit";
    TempFile cfg(std::string(1024 * 1024 - 1, '[') + "\n");
    auto r = runLimited({"--as=" + std::to_string(100 << 20)}, {"-t", "-c", cfg.path()});
    EXPECT_EQ(r.exitCode, 78);
    EXPECT_EQ(r.stderrText,
              "sockchatd: " + cfg.path() + ":1:65: nesting too deep (more than 64 levels)\n");
}

// Any other exception that reaches main is one line and exit 70 (EX_SOFTWARE), not an abort.
// Here std::system_error from the first worker thread: a 1 GiB stack limit makes threads ask for
// 1 GiB stacks, which the 300 MiB address space refuses, before any thread runs.
TEST(Cli, AnExceptionAtStartupIsOneLineAndExit70) {
    if (::access("/usr/bin/prlimit", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/prlimit";
    TempFile cfg(testConfig("  - {service: echo, address: \"127.0.0.1:0\"}\n",
                            "threads: 4\nadmin: {socket: \"\"}\n"));
    auto r = runLimited({"--stack=" + std::to_string(1 << 30), "--as=" + std::to_string(300 << 20)},
                        {"-f", "-c", cfg.path()});
    EXPECT_EQ(r.signal, 0);
    EXPECT_EQ(r.exitCode, 70) << r.stderrText;
    EXPECT_EQ(r.stderrText, "sockchatd: internal error: Resource temporarily unavailable\n");
}
#endif  // SOCKCHAT_SANITIZED

TEST(Cli, BadConfigStartsNothing) {
    // A free port: bind it ourselves, note it, release it. The daemon must not take it.
    int error = 0;
    auto probe =
        sockchat::net::listenTcp(*sockchat::net::SocketAddress::parse("127.0.0.1:0"), 1, &error);
    auto addr = sockchat::net::localAddress(probe.get());
    probe.reset();
    TempFile cfg("listen:\n  - {service: echo, address: \"" + addr.toString() +
                 "\"}\nlimits: {burst: 0}\n");
    auto r = runProgram({SOCKCHATD_BIN, "-c", cfg.path()});
    EXPECT_EQ(r.exitCode, 78);
    EXPECT_NE(r.stderrText.find(cfg.path() + ":3:"), std::string::npos) << r.stderrText;
    EXPECT_NE(r.stderrText.find("limits.burst"), std::string::npos) << r.stderrText;
    EXPECT_EQ(std::count(r.stderrText.begin(), r.stderrText.end(), '\n'), 1) << r.stderrText;
}

TEST(Cli, ListenerInUseExits71NamingAddressAndErrno) {
    int error = 0;
    auto taken =
        sockchat::net::listenTcp(*sockchat::net::SocketAddress::parse("127.0.0.1:0"), 1, &error);
    ASSERT_TRUE(taken);
    auto addr = sockchat::net::localAddress(taken.get()).toString();
    TempFile cfg(testConfig("  - {service: echo, address: \"" + addr + "\"}\n"));
    auto r = runProgram({SOCKCHATD_BIN, "-c", cfg.path()});
    EXPECT_EQ(r.exitCode, 71);
    EXPECT_NE(r.stderrText.find(addr), std::string::npos) << r.stderrText;
    EXPECT_NE(r.stderrText.find("Address already in use"), std::string::npos) << r.stderrText;
}

TEST(Cli, VersionAndHelp) {
    for (const char* flag : {"--version", "-V"}) {
        auto v = runProgram({SOCKCHATD_BIN, flag});
        EXPECT_EQ(v.exitCode, 0) << flag;
        EXPECT_EQ(v.stdoutText, "sockchatd " SOCKCHAT_VERSION "\n") << flag;
        EXPECT_EQ(v.stderrText, "") << flag;
    }
    for (const char* flag : {"--help", "-h"}) {
        auto h = runProgram({SOCKCHATD_BIN, flag});
        EXPECT_EQ(h.exitCode, 0) << flag;
        EXPECT_NE(h.stdoutText.find("--check-config"), std::string::npos) << flag;
        EXPECT_NE(h.stdoutText.find("Exit status:"), std::string::npos) << flag;
    }
}

TEST(Cli, UsageErrorsSayWhatOnOneLineAndExit64) {
    // A usage error wins over whatever else the command line asks for (here -t).
    const std::string hint = "Try 'sockchatd --help'.\n";
    struct Case {
        std::vector<std::string> args;
        std::string message;
    };
    for (const auto& c : std::vector<Case>{
             {{"--bogus"}, "unknown option '--bogus'"},
             {{"-x", "-t"}, "unknown option '-x'"},
             {{"-c"}, "option --config needs a value"},
             {{"--config"}, "option --config needs a value"},
             {{"-t", "-c", SHIPPED_CONFIG, "extra"}, "unexpected argument 'extra'"},
         }) {
        std::vector<std::string> argv{SOCKCHATD_BIN};
        argv.insert(argv.end(), c.args.begin(), c.args.end());
        auto r = runProgram(argv);
        EXPECT_EQ(r.exitCode, 64) << c.args.front();
        EXPECT_EQ(r.stderrText, "sockchatd: " + c.message + "\n" + hint) << c.args.front();
        EXPECT_EQ(r.stdoutText, "") << c.args.front();
    }
    // The end-of-options mark alone is no error.
    auto marked = runProgram({SOCKCHATD_BIN, "-t", "-c", SHIPPED_CONFIG, "--"});
    EXPECT_EQ(marked.exitCode, 0) << marked.stderrText;
}

// --- where the log goes -------------------------------------------------------------------

namespace {

const char* const kJournalSocket = "/run/systemd/journal/socket";

// A config that asks for the journal, JSON lines so the harness can read the console.
std::string journaldConfig() {
    return "listen:\n  - {service: echo, address: \"127.0.0.1:0\"}\n"
           "logging: {level: debug, format: json, sink: journald}\n"
           // No admin socket: its warning (no /run/sockchatd here) would be the first event.
           "admin: {socket: \"\"}\n";
}

// For the daemon's child process: a private mount namespace in which an empty tmpfs hides
// /run/systemd (or /run, where there is no /run/systemd), so there is no journal whatever this
// machine runs; with deadSocket, a socket file that nobody listens on stands where the journal's
// would be. Exits 126 if it cannot (not root, no CAP_SYS_ADMIN).
void hideJournal(bool deadSocket) {
    const char* over = std::filesystem::exists("/run/systemd") ? "/run/systemd" : "/run";
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("tmpfs", over, "tmpfs", 0, "mode=0755") != 0)
        ::_exit(126);
    if (!deadSocket) return;
    ::mkdir("/run/systemd", 0755);
    ::mkdir("/run/systemd/journal", 0755);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, kJournalSocket);
    int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) ::_exit(126);
    ::close(fd);  // the file stays; sending to it is refused
}

// Whether hideJournal works here: tried in a child, which exits 0 if it got that far.
bool canHideJournal() {
    pid_t pid = ::fork();
    if (pid == 0) {
        hideJournal(true);
        ::_exit(std::filesystem::exists(kJournalSocket) ? 0 : 126);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::size_t countLines(const std::string& text, const std::string& line) {
    std::size_t n = 0;
    for (std::size_t pos = text.find(line); pos != std::string::npos;
         pos = text.find(line, pos + 1))
        n += (pos == 0 || text[pos - 1] == '\n') ? 1 : 0;
    return n;
}

// Stops the daemon, then: the warning once and no other, and every event on the console from the
// first (`listen`) to the last (`shutdown`).
void expectConsoleAfterOneWarning(DaemonProcess& daemon, const std::string& warning) {
    EXPECT_EQ(daemon.stop(), 0);
    const std::string err = daemon.stderrText();
    EXPECT_EQ(countLines(err, warning), 1u) << err;
    EXPECT_EQ(countLines(err, "sockchatd: warning:"), 1u) << err;
    auto events = daemon.events();
    ASSERT_FALSE(events.empty()) << err;
    EXPECT_EQ(events.front()["event"], "listen") << err;
    EXPECT_EQ(events.back()["event"], "shutdown") << err;
}

}  // namespace

TEST(Cli, ForegroundLogsToTheConsoleEvenWithSinkJournald) {
    TempFile cfg(journaldConfig());
    DaemonProcess::Options opts;
    opts.args = {"-f", "-c", cfg.path()};
    // Starting waits for the `start` event on stderr: it comes only if -f won.
    DaemonProcess daemon(opts);
    EXPECT_TRUE(
        daemon.waitForEvent([](const nlohmann::json& e) { return e["event"] == "listen"; }));
    EXPECT_EQ(daemon.stop(), 0);
    // The console by choice, not as the fallback of a journal that is missing here.
    EXPECT_EQ(daemon.stderrText().find("warning"), std::string::npos) << daemon.stderrText();
    EXPECT_TRUE(
        daemon.waitForEvent([](const nlohmann::json& e) { return e["event"] == "shutdown"; }));
}

TEST(Cli, SinkJournaldWithoutAJournalLogsToTheConsoleAfterOneWarning) {
    const bool journalHere = std::filesystem::exists(kJournalSocket);
    if (journalHere && !canHideJournal())
        GTEST_SKIP() << "this machine has a journal, and a private mount namespace to hide it "
                        "needs root with CAP_SYS_ADMIN";
    TempFile cfg(journaldConfig());
    DaemonProcess::Options opts;
    opts.args = {"-c", cfg.path()};
    if (journalHere) opts.beforeExec = [] { hideJournal(false); };
    DaemonProcess daemon(opts);  // waits for the `start` event on stderr
    expectConsoleAfterOneWarning(daemon,
                                 "sockchatd: warning: no systemd journal at "
                                 "/run/systemd/journal/socket; logging to the console\n");
}

TEST(Cli, AJournalThatRefusesEntriesFallsBackToTheConsoleAfterOneWarning) {
    if (!canHideJournal())
        GTEST_SKIP() << "a dead journal socket needs a private mount namespace (root with "
                        "CAP_SYS_ADMIN), to leave the real /run alone";
    TempFile cfg(journaldConfig());
    DaemonProcess::Options opts;
    opts.args = {"-c", cfg.path()};
    opts.beforeExec = [] { hideJournal(true); };
    DaemonProcess daemon(opts);
    // The entry the journal refused is not lost either: it is the first on the console.
    expectConsoleAfterOneWarning(daemon,
                                 "sockchatd: warning: cannot write to the systemd journal at "
                                 "/run/systemd/journal/socket (Connection refused); logging to "
                                 "the console\n");
}

namespace {
bool systemConfigExists() {
    return std::filesystem::exists("/etc/sockchatd/sockchatd.yaml");
}
}  // namespace

TEST(Cli, WithoutDashCTheSystemFileElseTheBuiltInDefault) {
    auto r = runProgram({SOCKCHATD_BIN, "-t"});
    EXPECT_EQ(r.exitCode, 0) << r.stderrText;
    EXPECT_EQ(r.stdoutText, systemConfigExists()
                                ? "sockchatd: /etc/sockchatd/sockchatd.yaml: configuration ok\n"
                                : "sockchatd: built-in default: configuration ok\n");
}

TEST(Cli, DefaultConfigServesTheTutorialClientOnPort8000) {
    // No -c and no system file: the embedded default, as after README's run command. (Where
    // the package is installed, the shipped file, which a unit test proves is the same.)
    DaemonProcess::Options opts;
    if (systemConfigExists()) opts.args = {"-c", SHIPPED_CONFIG};
    opts.jsonLogs = false;
    DaemonProcess daemon(opts);
    auto r = runProgram({"/usr/bin/python3", TUTORIAL_ECHO_CLIENT});
    EXPECT_EQ(r.exitCode, 0) << r.stderrText;
    EXPECT_EQ(r.stdoutText, "hello Wilson\n");
    EXPECT_EQ(daemon.stop(), 0);
}
