// sockctl chat and echo over TLS, through the real CLI against real TLS servers: sockchatd's own
// TLS listeners (chat, echo, client certificates, a reconnect) and socat with certificates the
// test makes (TestPki) for what the daemon is not for: servers with a bad certificate, plain
// servers that talk or close. Verification like curl (--cacert, -k, the system store), its
// failures (77), ports that do not speak TLS (69), unreadable files (66), client certificates,
// the TLS listener found in the config, and a reconnect that meets a bad certificate.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <regex>

#include "daemon_process.h"
#include "sockctl_fixture.h"
#include "sockctl_process.h"
#include "test_pki.h"
#include "tls_test_server.h"

using namespace sockchat::testing;
using namespace sockctl_test;

namespace {

// socat's Options for what it serves: `target` behind TLS, or plain TCP.
TlsTestServer::Options forwarding(const std::string& target, std::uint16_t port = 0) {
    TlsTestServer::Options options;
    options.target = target;
    options.port = port;
    return options;
}

TlsTestServer::Options plainTcp(const std::string& target) {
    TlsTestServer::Options options = forwarding(target);
    options.plain = true;
    return options;
}

std::string verifyFailed(std::uint16_t port, const std::string& reason) {
    return "sockctl: " + at(port) + ": TLS certificate verify failed: " + reason +
           " (use --cacert FILE, or -k to skip verification)\n";
}

class SockctlTls : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "sockctl-tls-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        pki_ = std::make_unique<TestPki>(dir_);
    }
    static void TearDownTestSuite() {
        pki_.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    void SetUp() override {
        if (!haveSocat()) GTEST_SKIP() << "socat is not installed (build-deps.txt)";
    }

    static const TestPki& pki() { return *pki_; }
    static std::string file(const std::string& name) { return dir_ + "/" + name; }

    static std::string dir_;
    static std::unique_ptr<TestPki> pki_;
};

std::string SockctlTls::dir_;
std::unique_ptr<TestPki> SockctlTls::pki_;

// --- echo ------------------------------------------------------------------------------------

TEST_F(SockctlTls, EchoWithCacertVerifiesTheServer) {
    TlsTestServer server(pki().server, {});
    auto r = sockctl({"echo", "--tls", "--cacert", pki().caCert, at(server.port()), "over tls"});
    EXPECT_EQ(r.exitCode, 0) << r.stderrText;
    EXPECT_EQ(r.stdoutText, "over tls\n");
    EXPECT_EQ(r.stderrText, "");
    // A name is sent as SNI and checked against the certificate (DNS:localhost) as well.
    auto named = sockctl({"echo", "--tls", "--cacert", pki().caCert,
                          "localhost:" + std::to_string(server.port()), "by name"});
    EXPECT_EQ(named.exitCode, 0) << named.stderrText;
    EXPECT_EQ(named.stdoutText, "by name\n");
}

TEST_F(SockctlTls, LargeEchoComesBackComplete) {
    // Many TLS records each way: what OpenSSL buffers must be read, not waited for.
    TlsTestServer server(pki().server, {});
    std::string text(100000, 'x');
    for (std::size_t i = 0; i < text.size(); i += 7) text[i] = static_cast<char>('a' + i % 26);
    auto r = sockctl({"echo", "--tls", "--cacert", pki().caCert, at(server.port()), text});
    EXPECT_EQ(r.exitCode, 0) << r.stderrText;
    EXPECT_EQ(r.stdoutText, text + "\n");
}

TEST_F(SockctlTls, InsecureSkipsVerificationOfAnUntrustedCertificate) {
    TlsTestServer server(pki().untrusted, {});
    auto r = sockctl({"echo", "--tls", "-k", at(server.port()), "anyway"});
    EXPECT_EQ(r.exitCode, 0) << r.stderrText;
    EXPECT_EQ(r.stdoutText, "anyway\n");
    auto longForm = sockctl({"echo", "--tls", "--insecure", at(server.port()), "again"});
    EXPECT_EQ(longForm.exitCode, 0) << longForm.stderrText;
    EXPECT_EQ(longForm.stdoutText, "again\n");
}

TEST_F(SockctlTls, UntrustedCertificateIs77WithOneLine) {
    TlsTestServer server(pki().untrusted, {});
    auto r = sockctl({"echo", "--tls", "--cacert", pki().caCert, at(server.port()), "x"});
    EXPECT_EQ(r.exitCode, 77);
    EXPECT_EQ(r.stderrText, verifyFailed(server.port(), "unable to get local issuer certificate"));
    EXPECT_EQ(r.stdoutText, "");
}

TEST_F(SockctlTls, SystemStoreDoesNotKnowTheTestCa) {
    // No --cacert: the system store, which has never heard of the test's CA.
    TlsTestServer server(pki().server, {});
    auto r = sockctl({"echo", "--tls", at(server.port()), "x"});
    EXPECT_EQ(r.exitCode, 77);
    EXPECT_EQ(r.stderrText, verifyFailed(server.port(), "unable to get local issuer certificate"));
}

TEST_F(SockctlTls, ExpiredCertificateIs77) {
    TlsTestServer server(pki().expired, {});
    auto r = sockctl({"echo", "--tls", "--cacert", pki().caCert, at(server.port()), "x"});
    EXPECT_EQ(r.exitCode, 77);
    EXPECT_EQ(r.stderrText, verifyFailed(server.port(), "certificate has expired"));
}

TEST_F(SockctlTls, WrongNameIs77) {
    // The certificate is for other.example only: neither 127.0.0.1 nor localhost is in it.
    TlsTestServer server(pki().wrongName, {});
    auto ip = sockctl({"echo", "--tls", "--cacert", pki().caCert, at(server.port()), "x"});
    EXPECT_EQ(ip.exitCode, 77);
    EXPECT_EQ(ip.stderrText, verifyFailed(server.port(), "IP address mismatch"));
    auto name = sockctl({"echo", "--tls", "--cacert", pki().caCert,
                         "localhost:" + std::to_string(server.port()), "x"});
    EXPECT_EQ(name.exitCode, 77);
    EXPECT_NE(name.stderrText.find("TLS certificate verify failed: hostname mismatch"),
              std::string::npos)
        << name.stderrText;
}

TEST_F(SockctlTls, PlainServerIs69QuicklyWithOneLine) {
    // A plain server that greets in text, like sockchatd's chat port, and one that closes.
    TlsTestServer talker(pki().server, plainTcp("SYSTEM:echo -- not TLS; sleep 30"));
    TlsTestServer closer(pki().server, plainTcp("EXEC:true"));
    for (std::uint16_t port : {talker.port(), closer.port()}) {
        const auto started = std::chrono::steady_clock::now();
        auto r = sockctl({"echo", "--tls", "--cacert", pki().caCert, at(port), "x"});
        EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
        EXPECT_EQ(r.exitCode, 69) << r.stderrText;
        EXPECT_TRUE(std::regex_match(r.stderrText,
                                     std::regex("sockctl: " + at(port) +
                                                ": TLS handshake failed: [^\n]+ \\(is it a TLS "
                                                "port\\?\\)\n")))
            << r.stderrText;
        EXPECT_EQ(r.stdoutText, "");
    }
}

TEST_F(SockctlTls, UnreadableFilesAre66BeforeConnecting) {
    const std::uint16_t port = unusedPort();  // nothing listens: the files are checked first
    const std::string missing = file("no-such.pem");
    for (const auto& option : {"--cacert", "--cert", "--key"}) {
        std::vector<std::string> args{"echo", "--tls", option, missing};
        if (std::string(option) == "--key") args.insert(args.end(), {"--cert", pki().client.cert});
        args.insert(args.end(), {at(port), "x"});
        auto r = sockctl(args);
        EXPECT_EQ(r.exitCode, 66) << option << ": " << r.stderrText;
        EXPECT_EQ(std::count(r.stderrText.begin(), r.stderrText.end(), '\n'), 1) << r.stderrText;
        EXPECT_NE(r.stderrText.find(missing), std::string::npos) << r.stderrText;
    }
}

TEST_F(SockctlTls, TlsOptionsWithoutTlsAreAUsageError) {
    auto r = sockctl({"echo", "--cacert", pki().caCert, at(unusedPort()), "x"});
    EXPECT_EQ(r.exitCode, 64);
    EXPECT_NE(r.stderrText.find("--cacert is for TLS connections: add --tls"), std::string::npos)
        << r.stderrText;
}

TEST_F(SockctlTls, TheConfigsTlsListenerIsUsedWithoutTls) {
    TlsTestServer server(pki().server, {});
    const std::string tls =
        ", tls: {certificate: " + pki().server.cert + ", key: " + pki().server.key + "}";
    TempFile config(
        testConfig("  - {service: echo, address: \"127.0.0.1:1\"}\n"
                   "  - {service: echo, address: \"" +
                   at(server.port()) + "\"" + tls + "}\n"));
    // The first echo listener is plain; --tls picks the TLS one.
    auto chosen = sockctl({"-c", config.path(), "echo", "--tls", "--cacert", pki().caCert, "x"});
    EXPECT_EQ(chosen.exitCode, 0) << chosen.stderrText;
    EXPECT_EQ(chosen.stdoutText, "x\n");
    // Only a TLS listener: used, with TLS, without being asked.
    TempFile only(
        testConfig("  - {service: echo, address: \"" + at(server.port()) + "\"" + tls + "}\n"));
    auto automatic = sockctl({"-c", only.path(), "echo", "--cacert", pki().caCert, "auto"});
    EXPECT_EQ(automatic.exitCode, 0) << automatic.stderrText;
    EXPECT_EQ(automatic.stdoutText, "auto\n");
}

// --- the real daemon's TLS listeners ---------------------------------------------------------

// A listener line of a test config speaking TLS with `certificate`.
std::string tlsListener(const std::string& service, const TestPki::Pair& certificate,
                        const std::string& address = "127.0.0.1:0", const std::string& extra = "") {
    return "  - {service: " + service + ", address: \"" + address +
           "\", tls: {certificate: " + certificate.cert + ", key: " + certificate.key + extra +
           "}}\n";
}

TEST_F(SockctlTls, EchoWithTheDaemon) {
    DaemonProcess daemon(testConfig(tlsListener("echo", pki().server)));
    auto r = sockctl({"echo", "--tls", "--cacert", pki().caCert, at(daemon.port()), "Wilson"});
    EXPECT_EQ(r.exitCode, 0) << r.stderrText << daemon.stderrText();
    EXPECT_EQ(r.stdoutText, "hello Wilson\n");
    EXPECT_EQ(r.stderrText, "");
    // The daemon's own config names its TLS listener: no --tls needed.
    TempFile config(testConfig(tlsListener("echo", pki().server, at(daemon.port()))));
    auto automatic = sockctl({"-c", config.path(), "echo", "--cacert", pki().caCert, "auto"});
    EXPECT_EQ(automatic.exitCode, 0) << automatic.stderrText;
    EXPECT_EQ(automatic.stdoutText, "hello auto\n");
}

TEST_F(SockctlTls, ClientCertificateForTheDaemonsClientCa) {
    DaemonProcess daemon(testConfig(
        tlsListener("echo", pki().server, "127.0.0.1:0", ", client_ca: " + pki().caCert)));
    auto r = sockctl({"echo", "--tls", "--cacert", pki().caCert, "--cert", pki().client.cert,
                      "--key", pki().client.key, at(daemon.port()), "alice"});
    EXPECT_EQ(r.exitCode, 0) << r.stderrText;
    EXPECT_EQ(r.stdoutText, "hello alice\n");
    auto without = sockctl({"echo", "--tls", "--cacert", pki().caCert, at(daemon.port()), "x"});
    EXPECT_NE(without.exitCode, 0);
    EXPECT_EQ(without.stdoutText, "");
    EXPECT_NE(without.stderrText.find("certificate required"), std::string::npos)
        << without.stderrText;
}

TEST_F(SockctlTls, ChatWithTheDaemonAnnouncesVersionAndCipherAndChats) {
    // TLS and plain side by side: alice over TLS, bob in plain text, one room.
    DaemonProcess daemon(testConfig(tlsListener("chat", pki().server) + chatListener()));
    const std::uint16_t tlsPort = daemon.port(0), plainPort = daemon.port(1);
    SockctlProcess alice(
        {"chat", "--tls", "--cacert", pki().caCert, at(tlsPort), "--nick", "alice"});
    ASSERT_TRUE(alice.waitForStdout("alice joined #lobby")) << alice.stderrText();
    EXPECT_TRUE(std::regex_search(
        alice.stderrText(),
        std::regex("^sockctl: connected to " + at(tlsPort) + " \\(TLSv1\\.[23], [A-Z0-9_-]+\\)\n")))
        << alice.stderrText();
    SockctlProcess bob({"chat", at(plainPort), "--nick", "bob"});
    ASSERT_TRUE(bob.waitForStdout("bob joined #lobby")) << bob.stderrText();
    alice.write("hello over tls\n");
    EXPECT_TRUE(bob.waitForStdout("<alice> hello over tls")) << bob.stdoutText();
    bob.write("hello in plain\n");
    EXPECT_TRUE(alice.waitForStdout("<bob> hello in plain")) << alice.stdoutText();
    // Leaving: close_notify, then the daemon's "bye" still arrives and the exit is 0.
    alice.closeStdin();
    EXPECT_EQ(alice.waitExit(), 0) << alice.stderrText();
    EXPECT_EQ(occurrences(alice.stderrText(), "connected to"), 1u) << alice.stderrText();
    EXPECT_TRUE(bob.waitForStdout("alice left")) << bob.stdoutText();
    bob.closeStdin();
    EXPECT_EQ(bob.waitExit(), 0) << bob.stderrText();
}

// At a terminal the announcement is one of sockctl's own lines, above the greeting.
TEST_F(SockctlInteractive, TlsConnectionIsAnnouncedOnceAboveTheGreeting) {
    if (!haveSocat()) GTEST_SKIP() << "socat is not installed (build-deps.txt)";
    std::string tmpl = (std::filesystem::temp_directory_path() / "sockctl-tls-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    const std::string dir = tmpl;
    const TestPki pki(dir);
    DaemonProcess daemon(testConfig(tlsListener("chat", pki.server)));
    auto term = startAtPrompt(daemon.port(), "alice", "", " --tls --cacert " + pki.caCert);
    const std::regex announced("\\[[0-9:]{5}\\] -- connected to " + at(daemon.port()) +
                               " \\(TLSv1\\.[23], [A-Z0-9_-]+\\)\n");
    const std::string screen = term->screen();
    EXPECT_TRUE(std::regex_search(screen, announced)) << screen;
    EXPECT_LT(screen.find("-- connected to"), screen.find("Welcome")) << screen;
    EXPECT_EQ(occurrences(screen, "connected to"), 1u) << screen;
    expectLeavesWithStatusZero(*term, "C-d");
    std::filesystem::remove_all(dir);
}

TEST_F(SockctlTls, ChatQuietSaysNothingAboutTheConnection) {
    DaemonProcess daemon(testConfig(tlsListener("chat", pki().server)));
    auto r = runProgram({"/bin/sh", "-c",
                         "echo hi | " + std::string(SOCKCTL_BIN) + " chat -q --tls --cacert " +
                             pki().caCert + " " + at(daemon.port()) + " --nick quiet"},
                        20s);
    EXPECT_EQ(r.exitCode, 0) << r.stderrText;
    EXPECT_EQ(r.stderrText, "");
    EXPECT_NE(r.stdoutText.find("<quiet> hi"), std::string::npos) << r.stdoutText;
}

TEST_F(SockctlTls, PlainAndTlsMixedUpAre69BothWays) {
    DaemonProcess daemon(testConfig(chatListener() + tlsListener("chat", pki().server)));
    SockctlProcess tlsToPlain({"chat", "--tls", "-k", at(daemon.port(0)), "--nick", "alice"});
    EXPECT_EQ(tlsToPlain.waitExit(), 69) << tlsToPlain.stderrText();
    EXPECT_NE(tlsToPlain.stderrText().find(at(daemon.port(0)) + ": TLS handshake failed: "),
              std::string::npos)
        << tlsToPlain.stderrText();
    // The other way round the daemon says so in plain text, and sockctl stops: 69 too, no
    // reconnecting, for chat and echo alike.
    const std::string speaksTls = "sockctl: " + at(daemon.port(1)) + " speaks TLS: use --tls\n";
    SockctlProcess plainToTls({"chat", at(daemon.port(1)), "--nick", "alice"});
    EXPECT_EQ(plainToTls.waitExit(), 69) << plainToTls.stderrText();
    EXPECT_EQ(plainToTls.stderrText(), speaksTls);
    auto echo = sockctl({"echo", at(daemon.port(1)), "x"});
    EXPECT_EQ(echo.exitCode, 69) << echo.stderrText;
    EXPECT_EQ(echo.stderrText, speaksTls);
    EXPECT_EQ(echo.stdoutText, "");
}

TEST_F(SockctlTls, ChatVerifyFailureIs77) {
    DaemonProcess daemon(testConfig(tlsListener("chat", pki().wrongName)));
    SockctlProcess alice(
        {"chat", "--tls", "--cacert", pki().caCert, at(daemon.port()), "--nick", "alice"});
    EXPECT_EQ(alice.waitExit(), 77) << alice.stderrText();
    EXPECT_EQ(alice.stderrText(), verifyFailed(daemon.port(), "IP address mismatch"));
}

TEST_F(SockctlTls, ReconnectKeepsTlsAndStopsAtACertificateThatFailsVerification) {
    auto first = std::make_unique<DaemonProcess>(testConfig(tlsListener("chat", pki().server)));
    const std::uint16_t port = first->port();
    SockctlProcess alice({"chat", "--tls", "--cacert", pki().caCert, at(port), "--nick", "alice"});
    ASSERT_TRUE(alice.waitForStdout("alice joined #lobby")) << alice.stderrText();
    // The daemon restarts: the reconnect speaks TLS again.
    EXPECT_EQ(first->stop(), 0);
    ASSERT_TRUE(alice.waitForStderr("connection to " + at(port) + " lost")) << alice.stderrText();
    auto second =
        std::make_unique<DaemonProcess>(testConfig(tlsListener("chat", pki().server, at(port))));
    ASSERT_TRUE(alice.waitForStderr("back: connected to " + at(port) + " as alice", 30s))
        << alice.stderrText();
    // Now an expired certificate answers there (socat): one line, exit 77, no reconnect loop.
    EXPECT_EQ(second->stop(), 0);
    ASSERT_TRUE(alice.waitForStderr([&](const std::string& err) {
        return occurrences(err, " lost") == 2;
    })) << alice.stderrText();
    TlsTestServer expired(pki().expired, forwarding("EXEC:cat", port));
    EXPECT_EQ(alice.waitExit(30s), 77) << alice.stderrText();
    EXPECT_NE(alice.stderrText().find(verifyFailed(port, "certificate has expired")),
              std::string::npos)
        << alice.stderrText();
}

}  // namespace
