// The daemon's command line: config checking, config errors, bind errors, usage errors, exit
// codes.
#include <gtest/gtest.h>

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

TEST(Cli, MissingConfigFileIsAConfigError) {
    auto r = runProgram({SOCKCHATD_BIN, "-c", "/nonexistent/sockchatd.yaml"});
    EXPECT_EQ(r.exitCode, 78);
    EXPECT_NE(r.stderrText.find("/nonexistent/sockchatd.yaml"), std::string::npos) << r.stderrText;
    EXPECT_NE(r.stderrText.find("No such file or directory"), std::string::npos) << r.stderrText;
}

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
