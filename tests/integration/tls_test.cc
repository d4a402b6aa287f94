// TLS listeners through the real daemon: echo and chat over TLS (our client and openssl
// s_client), plain and TLS side by side, the wrong kind of client on each port, a stalled
// handshake, 500 clients at once, certificate rotation on reload, a bad key on reload and at
// startup, minimum version and client certificates. Certificates come from TestPki.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "daemon_process.h"
#include "test_client.h"
#include "test_pki.h"
#include "tls_test_client.h"

namespace sockchat::testing {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

class TlsDir {
  public:
    TlsDir() {
        std::string tmpl = (fs::temp_directory_path() / "sockchatd-tls-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
        pki_ = std::make_unique<TestPki>(path_);
        // The daemon reads these two; rotation copies another certificate over them.
        install(pki_->server);
    }
    ~TlsDir() { fs::remove_all(path_); }
    void install(const TestPki::Pair& pair) const {
        fs::copy_file(pair.cert, cert(), fs::copy_options::overwrite_existing);
        fs::copy_file(pair.key, key(), fs::copy_options::overwrite_existing);
        fs::permissions(key(), fs::perms::owner_read | fs::perms::owner_write);
    }
    std::string cert() const { return path_ + "/live.crt"; }
    std::string key() const { return path_ + "/live.key"; }
    const std::string& path() const { return path_; }
    const TestPki& pki() const { return *pki_; }

  private:
    std::string path_;
    std::unique_ptr<TestPki> pki_;
};

std::string tlsListener(const std::string& service, const TlsDir& dir,
                        const std::string& extra = "") {
    return "  - {service: " + service +
           ", address: \"127.0.0.1:0\", tls: {certificate: " + dir.cert() + ", key: " + dir.key() +
           extra + "}}\n";
}
std::string plainListener(const std::string& service) {
    return "  - {service: " + service + ", address: \"127.0.0.1:0\"}\n";
}

// Reads until `text` has arrived (true) or the connection ends or 10 s pass (false).
bool receivedUntil(TestClient& client, const std::string& text) {
    std::string seen;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (seen.find(text) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
        std::string more = client.recvSome(1s);
        if (more.empty() && client.waitClosed(0ms, &seen)) break;
        seen += more;
    }
    return seen.find(text) != std::string::npos;
}

TlsTestClient::Options trusting(const TlsDir& dir) {
    TlsTestClient::Options o;
    o.caFile = dir.pki().caCert;
    return o;
}

auto disconnectWithReason(const std::string& reason) {
    return [reason](const json& e) {
        return e.value("event", "") == "disconnect" && e.value("reason", "") == reason;
    };
}

// The admin socket's `status` reply (daemon/admin/PROTOCOL.md), or null.
json adminStatus(const std::string& path) {
    sockchat::net::Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path.c_str());
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return nullptr;
    const std::string request = "{\"cmd\":\"status\"}\n";
    if (::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) < 0) return nullptr;
    std::string reply;
    char buf[4096];
    while (reply.find('\n') == std::string::npos) {
        pollfd p{fd.get(), POLLIN, 0};
        if (::poll(&p, 1, 10000) <= 0) return nullptr;
        ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
        if (n <= 0) return nullptr;
        reply.append(buf, static_cast<std::size_t>(n));
    }
    return json::parse(reply.substr(0, reply.find('\n')));
}

auto reloadEnded() {
    return [](const json& e) {
        return e.value("event", "") == "reload" &&
               (e.value("msg", "") == "configuration reloaded" || e.value("level", "") == "error");
    };
}

TEST(Tls, EchoAnswersOverTlsAndLogsTheVersionAndCipher) {
    TlsDir dir;
    DaemonProcess daemon(testConfig(tlsListener("echo", dir)));
    TlsTestClient client(daemon.port(), trusting(dir));
    ASSERT_TRUE(client.handshake()) << client.error();
    client.send("Wilson");
    EXPECT_EQ(client.read(12), "hello Wilson");
    auto connect =
        daemon.waitForEvent([](const json& e) { return e.value("event", "") == "connect"; });
    ASSERT_TRUE(connect);
    EXPECT_EQ((*connect)["tls_version"], client.version());
    EXPECT_EQ((*connect)["tls_cipher"], client.cipher());
}

TEST(Tls, OpensslSClientChatsWithAPlainClientInTheSameRoom) {
    TlsDir dir;
    DaemonProcess daemon(testConfig(tlsListener("chat", dir) + plainListener("chat")));
    TestClient plain(daemon.port(1));
    plain.send("/nick plainbob\n");
    ASSERT_TRUE(receivedUntil(plain, "is now known as plainbob")) << daemon.stderrText();
    // openssl s_client is the reference TLS client: it verifies our chain against the CA.
    auto r = runProgram(
        {"/bin/sh", "-c",
         "(printf '/nick alice\\nhello over tls\\n/quit\\n'; sleep 5) | openssl s_client "
         "-quiet -verify_return_error -CAfile " +
             dir.pki().caCert + " -connect 127.0.0.1:" + std::to_string(daemon.port(0))},
        20s);
    EXPECT_EQ(r.exitCode, 0) << r.stderrText;
    EXPECT_NE(r.stdoutText.find("<alice> hello over tls"), std::string::npos) << r.stdoutText;
    EXPECT_TRUE(receivedUntil(plain, "<alice> hello over tls"));
}

TEST(Tls, TwoTlsClientsChatAndTheServiceSeesPlainText) {
    TlsDir dir;
    DaemonProcess daemon(testConfig(tlsListener("chat", dir)));
    TlsTestClient alice(daemon.port(), trusting(dir)), bob(daemon.port(), trusting(dir));
    ASSERT_TRUE(alice.handshake()) << alice.error();
    ASSERT_TRUE(bob.handshake()) << bob.error();
    alice.send("/nick alice\n");
    bob.send("/nick bob\n");
    auto seen = [](TlsTestClient& c, const std::string& text) {
        while (auto line = c.readLine())
            if (line->find(text) != std::string::npos) return true;
        return false;
    };
    ASSERT_TRUE(seen(bob, "is now known as bob"));
    ASSERT_TRUE(seen(alice, "is now known as alice"));
    alice.send(std::string(100000, 'x').substr(0, 3000) + "\n");  // several records' worth
    alice.send("the end\n");
    EXPECT_TRUE(seen(bob, "<alice> " + std::string(3000, 'x')));
    EXPECT_TRUE(seen(bob, "<alice> the end"));
}

TEST(Tls, APlainClientOnATlsPortIsToldAndClosedAndOthersCarryOn) {
    TlsDir dir;
    DaemonProcess daemon(testConfig(tlsListener("chat", dir)));
    TlsTestClient good(daemon.port(), trusting(dir));
    ASSERT_TRUE(good.handshake()) << good.error();
    TestClient plain(daemon.port());
    plain.send("hello\n");
    EXPECT_TRUE(receivedUntil(plain, "this port speaks TLS"));
    EXPECT_TRUE(plain.waitClosed());
    ASSERT_TRUE(daemon.waitForEvent(disconnectWithReason("tls: plain text on a TLS port")));
    good.send("still here\n");
    bool echoed = false;
    while (auto line = good.readLine())
        if (line->find("still here") != std::string::npos) {
            echoed = true;
            break;
        }
    EXPECT_TRUE(echoed);
}

TEST(Tls, ATlsClientOnAPlainPortFailsItsHandshakeAtOnce) {
    DaemonProcess daemon(testConfig(plainListener("chat") + plainListener("echo")));
    for (std::size_t i = 0; i < 2; ++i) {
        TlsTestClient::Options o;
        TlsTestClient client(daemon.port(i), o);
        const auto started = std::chrono::steady_clock::now();
        EXPECT_FALSE(client.handshake(5s));
        EXPECT_NE(client.error(), "timed out");
        EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);  // bound, not a timing claim
    }
    EXPECT_EQ(daemon.waitForCount(disconnectWithReason("tls: a TLS client on a plain port"), 2),
              2u);
}

TEST(Tls, AStalledHandshakeIsClosedAtTheTimeoutAndCounted) {
    TlsDir dir;
    DaemonProcess daemon(testConfig(tlsListener("echo", dir, ", handshake_timeout: 300ms"),
                                    "metrics: {address: \"127.0.0.1:0\"}\n"));
    TestClient silent(daemon.port());
    silent.send("\x16\x03\x01");  // the start of a ClientHello, then nothing
    EXPECT_TRUE(silent.waitClosed());
    ASSERT_TRUE(daemon.waitForEvent(disconnectWithReason("tls: handshake timed out")));
    // The stalled client never reached the service: no connect event.
    EXPECT_EQ(daemon.countEvents([](const json& e) { return e.value("event", "") == "connect"; }),
              0u);
    std::string metrics = httpGet(metricsPort(daemon), "/metrics");
    EXPECT_NE(metrics.find("sockchatd_tls_handshake_failures_total{reason=\"timeout\"} 1"),
              std::string::npos)
        << metrics;
}

TEST(Tls, AClientThatClosesBeforeItsFirstByteIsClosedAtOnce) {
    // A port scan or a health check: connect, close. With a long handshake timeout, only
    // seeing the EOF closes it within the wait (and the worker does not spin on it meanwhile).
    TlsDir dir;
    DaemonProcess daemon(testConfig(tlsListener("echo", dir, ", handshake_timeout: 60s")));
    const auto before = daemon.cpuTime();
    { TestClient scan(daemon.port()); }
    EXPECT_TRUE(daemon.waitForEvent(
        disconnectWithReason("tls: connection closed during the handshake"), 5s));
    TlsTestClient good(daemon.port(), trusting(dir));
    ASSERT_TRUE(good.handshake()) << good.error();
    EXPECT_LT(daemon.cpuTime() - before, 1000ms);  // bound on a spin, not a timing claim
}

TEST(Tls, FiveHundredConcurrentClientsOnFourWorkers) {
    TlsDir dir;
    DaemonProcess daemon(testConfig(tlsListener("echo", dir),
                                    "threads: 4\nlimits: {max_connections_per_ip: 1000}\n"));
    std::vector<std::unique_ptr<TlsTestClient>> clients;
    for (int i = 0; i < 500; ++i) {
        clients.push_back(std::make_unique<TlsTestClient>(daemon.port(), trusting(dir)));
        ASSERT_TRUE(clients.back()->handshake()) << i << ": " << clients.back()->error();
    }
    for (std::size_t i = 0; i < clients.size(); ++i)
        clients[i]->send("n" + std::to_string(i) + "\n");
    for (std::size_t i = 0; i < clients.size(); ++i)
        EXPECT_EQ(clients[i]->readLine(), "hello n" + std::to_string(i)) << i;
}

TEST(Tls, ReloadRotatesTheCertificateForNewConnectionsAndKeepsOldOnes) {
    TlsDir dir;
    const std::string admin = dir.path() + "/admin.sock";
    DaemonProcess daemon(testConfig(tlsListener("echo", dir) + plainListener("echo"),
                                    "admin: {socket: " + admin + ", group: \"\"}\n"));
    TlsTestClient before(daemon.port(), trusting(dir));
    ASSERT_TRUE(before.handshake()) << before.error();
    EXPECT_EQ(before.serverSerial(), "1001");
    // The operator's view (sockctl status): which certificate new connections get.
    json status = adminStatus(admin);
    ASSERT_TRUE(status.is_object());
    EXPECT_EQ(status["listeners"][0]["tls"]["serial"], "1001") << status;
    EXPECT_TRUE(status["listeners"][1]["tls"].is_null()) << status;

    dir.install(dir.pki().issueServer("renewed", 0x1005));
    daemon.signal(SIGHUP);
    ASSERT_EQ(daemon.waitForCount(reloadEnded(), 1), 1u);
    ASSERT_TRUE(daemon.waitForEvent([](const json& e) {
        return e.value("event", "") == "tls" && e.value("serial", "") == "1005";
    }));
    TlsTestClient after(daemon.port(), trusting(dir));
    ASSERT_TRUE(after.handshake()) << after.error();
    EXPECT_EQ(after.serverSerial(), "1005");
    EXPECT_EQ(adminStatus(admin)["listeners"][0]["tls"]["serial"], "1005");
    before.send("old\n");
    EXPECT_EQ(before.readLine(), "hello old");  // the old connection stayed up
}

TEST(Tls, ABadKeyOnReloadKeepsTheRunningCertificate) {
    TlsDir dir;
    DaemonProcess daemon(testConfig(tlsListener("echo", dir)));
    // A key that belongs to another certificate.
    fs::copy_file(dir.pki().wrongName.key, dir.key(), fs::copy_options::overwrite_existing);
    daemon.signal(SIGHUP);
    auto rejected = daemon.waitForEvent([](const json& e) {
        return e.value("event", "") == "reload" && e.value("level", "") == "error";
    });
    ASSERT_TRUE(rejected);
    EXPECT_NE(rejected->value("reason", "").find(dir.key() + ": does not match the certificate"),
              std::string::npos)
        << *rejected;
    TlsTestClient client(daemon.port(), trusting(dir));
    ASSERT_TRUE(client.handshake()) << client.error();
    EXPECT_EQ(client.serverSerial(), "1001");
}

TEST(Tls, ABadCertificateOrKeyAtStartupOrUnderDashTIsAConfigErrorNamingTheFile) {
    TlsDir dir;
    struct Case {
        std::function<void()> breakIt;
        std::string expected;
    };
    std::vector<Case> cases = {
        {[&] { fs::remove(dir.cert()); }, dir.cert() + ": No such file or directory"},
        {[&] { fs::permissions(dir.key(), fs::perms::others_read, fs::perm_options::add); },
         dir.key() + ": private key is accessible by others (mode 0604)"},
        {[&] { std::ofstream(dir.key()) << "not a key\n"; },
         dir.key() + ": not a usable PEM private key"},
        {[&] {
             fs::copy_file(dir.pki().wrongName.key, dir.key(),
                           fs::copy_options::overwrite_existing);
         },
         dir.key() + ": does not match the certificate in " + dir.cert()},
    };
    for (const auto& c : cases) {
        dir.install(dir.pki().server);
        c.breakIt();
        TempFile config(testConfig(tlsListener("chat", dir)));
        auto r = runProgram({SOCKCHATD_BIN, "-c", config.path()});
        EXPECT_EQ(r.exitCode, 78) << r.stderrText;
        EXPECT_NE(r.stderrText.find("listen[0].tls (127.0.0.1:0): " + c.expected),
                  std::string::npos)
            << r.stderrText;
        EXPECT_EQ(std::count(r.stderrText.begin(), r.stderrText.end(), '\n'), 1) << r.stderrText;
        // sockchatd -t reads the files the same way, so a renewal can be checked before reload.
        auto check = runProgram({SOCKCHATD_BIN, "-t", "-c", config.path()});
        EXPECT_EQ(check.exitCode, 78) << check.stderrText;
        EXPECT_EQ(check.stderrText, r.stderrText);
    }
    dir.install(dir.pki().server);
    TempFile good(testConfig(tlsListener("chat", dir)));
    EXPECT_EQ(runProgram({SOCKCHATD_BIN, "-t", "-c", good.path()}).exitCode, 0);
}

TEST(Tls, MinVersionOneThreeRefusesATls12Client) {
    TlsDir dir;
    DaemonProcess daemon(testConfig(tlsListener("echo", dir, ", min_version: \"1.3\"")));
    TlsTestClient::Options old = trusting(dir);
    old.maxVersion = TLS1_2_VERSION;
    TlsTestClient refused(daemon.port(), old);
    EXPECT_FALSE(refused.handshake());
    TlsTestClient modern(daemon.port(), trusting(dir));
    ASSERT_TRUE(modern.handshake()) << modern.error();
    EXPECT_EQ(modern.version(), "TLSv1.3");
}

TEST(Tls, ClientCertificatesAreRequiredWhenClientCaIsSet) {
    TlsDir dir;
    DaemonProcess daemon(testConfig(tlsListener("echo", dir, ", client_ca: " + dir.pki().caCert),
                                    "metrics: {address: \"127.0.0.1:0\"}\n"));
    TlsTestClient anonymous(daemon.port(), trusting(dir));
    // TLS 1.3 finishes the client's side before the server checks its certificate: the
    // refusal arrives as an alert on the first read.
    if (anonymous.handshake()) {
        try {
            anonymous.send("x\n");
            EXPECT_FALSE(anonymous.readLine(5s));
        } catch (const std::runtime_error&) {
            // reset before our line went out: refused all the same
        }
    }
    TlsTestClient::Options withCert = trusting(dir);
    withCert.certFile = dir.pki().client.cert;
    withCert.keyFile = dir.pki().client.key;
    TlsTestClient alice(daemon.port(), withCert);
    ASSERT_TRUE(alice.handshake()) << alice.error();
    alice.send("x\n");
    EXPECT_EQ(alice.readLine(), "hello x");
    auto connect =
        daemon.waitForEvent([](const json& e) { return e.value("event", "") == "connect"; });
    ASSERT_TRUE(connect);
    EXPECT_EQ(connect->value("tls_client", ""), "alice");
    std::string metrics = httpGet(metricsPort(daemon), "/metrics");
    EXPECT_NE(metrics.find("sockchatd_tls_handshake_failures_total{reason=\"certificate\"} 1"),
              std::string::npos)
        << metrics;
}

}  // namespace
}  // namespace sockchat::testing
