// HTTPS against a real nginx on loopback with a CA and certificate made by openssl for the
// test: verification with --cacert or by the default store (SSL_CERT_FILE), refusal by the
// system store, wrong host names (IP and DNS), -k, and the handshake failures, each next to
// curl.
#include <gtest/gtest.h>

#include <memory>

#include "curl_parity.h"

namespace sockfetch_test {
namespace {

class SockfetchTls : public ::testing::Test {
  protected:
    // One nginx per test process (ctest runs each test in its own process anyway).
    static void SetUpTestSuite() {
        dir_ = std::make_unique<TempDir>();
        pki_ = std::make_unique<TestPki>(*dir_);
        nginx_ = std::make_unique<Nginx>(*dir_, *pki_,
                                         "    location = /to-https { return 302 "
                                         "https://localhost:%HTTPS_PORT%/file.bin; }\n");
        file_ = binaryBytes(100 * 1024 + 3);
        dir_->write("www/file.bin", file_);
        dir_->write("www/index.html", "<h1>nginx on loopback</h1>\n");
    }
    static void TearDownTestSuite() {
        nginx_.reset();
        pki_.reset();
        dir_.reset();
    }

    static std::string https(const std::string& host, const std::string& path) {
        return "https://" + host + ":" + std::to_string(nginx_->httpsPort()) + path;
    }
    static std::string http(const std::string& host, const std::string& path) {
        return "http://" + host + ":" + std::to_string(nginx_->httpPort()) + path;
    }
    static std::string ca() { return pki_->caCert; }

    static std::unique_ptr<TempDir> dir_;
    static std::unique_ptr<TestPki> pki_;
    static std::unique_ptr<Nginx> nginx_;
    static std::string file_;
};

std::unique_ptr<TempDir> SockfetchTls::dir_;
std::unique_ptr<TestPki> SockfetchTls::pki_;
std::unique_ptr<Nginx> SockfetchTls::nginx_;
std::string SockfetchTls::file_;

TEST_F(SockfetchTls, CacertVerifiesTheServer) {
    const auto r = expectSameAsCurl({"--cacert", ca(), https("localhost", "/file.bin")});
    EXPECT_TRUE(sameBytes(file_, r.sockfetch.out));
}

TEST_F(SockfetchTls, SniSelectsTheCertificateForTheName) {
    // nginx serves the localhost certificate only to clients that send SNI "localhost"; the
    // default certificate (IP:::1 only) would fail verification for that name.
    auto r = sockfetch({"-v", "--cacert", ca(), https("localhost", "/index.html")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.err.find("*  subject: /CN=localhost\n"), std::string::npos) << r.err;
    // No SNI for an IP address (RFC 6066): the default certificate, checked against the IP.
    r = sockfetch({"-v", "--cacert", ca(), https("[::1]", "/index.html")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.err.find("*  subject: /CN=ip6-loopback\n"), std::string::npos) << r.err;
}

TEST_F(SockfetchTls, Ipv6AddressCheckedAgainstIpSubjectAltName) {
    const auto r = expectSameAsCurl({"-g", "--cacert", ca(), https("[::1]", "/index.html")});
    EXPECT_EQ(r.sockfetch.out, "<h1>nginx on loopback</h1>\n");
}

TEST_F(SockfetchTls, SystemStoreRefusesTheTestCaWith60) {
    const auto r = expectSameAsCurl({https("localhost", "/index.html")}, 60);
    EXPECT_EQ(errorLine(r.sockfetch),
              "sockfetch: (60) SSL certificate problem: unable to get local issuer certificate");
    EXPECT_EQ(r.sockfetch.out, "");
}

TEST_F(SockfetchTls, WrongHostNameIsRefusedWith60) {
    // 127.0.0.1 is not in the certificate (localhost and ::1 are).
    const auto r = expectSameAsCurl({"--cacert", ca(), https("127.0.0.1", "/index.html")}, 60);
    EXPECT_EQ(errorLine(r.sockfetch),
              "sockfetch: (60) SSL: no alternative certificate subject name matches target host "
              "name '127.0.0.1'");
}

TEST_F(SockfetchTls, WrongDnsNameIsRefusedWith60) {
    // For SNI wrong.localhost nginx serves the certificate that verifies for localhost
    // (CacertVerifiesTheServer): same chain, same CA, only the name differs. Both tools
    // resolve *.localhost to loopback themselves.
    const auto served = sockfetch({"-k", "-v", https("wrong.localhost", "/index.html")});
    ASSERT_EQ(served.exitCode, 0) << served.err;
    EXPECT_NE(served.err.find("*  subject: /CN=localhost\n"), std::string::npos) << served.err;
    const auto r =
        expectSameAsCurl({"--cacert", ca(), https("wrong.localhost", "/index.html")}, 60);
    EXPECT_EQ(errorLine(r.sockfetch),
              "sockfetch: (60) SSL: no alternative certificate subject name matches target host "
              "name 'wrong.localhost'");
    EXPECT_EQ(r.sockfetch.out, "");
    // A name nginx has no certificate for gets the default one (IP:::1 only): refused too.
    expectSameAsCurl({"--cacert", ca(), https("other.localhost", "/index.html")}, 60);
}

TEST_F(SockfetchTls, SystemStoreFromSslCertFileVerifies) {
    // No --cacert: the default verify paths, which OpenSSL takes from SSL_CERT_FILE when set.
    // curl looks at CURL_CA_BUNDLE, then SSL_CERT_DIR, then SSL_CERT_FILE: the first two go,
    // in case the test's own environment sets them.
    const EnvOverrides env = {"SSL_CERT_FILE=" + ca(), "SSL_CERT_DIR", "CURL_CA_BUNDLE"};
    const auto s = sockfetch({https("localhost", "/file.bin")}, 20s, env);
    ASSERT_EQ(s.exitCode, 0) << s.err;
    EXPECT_TRUE(sameBytes(file_, s.out));
    const auto c = curl({https("localhost", "/file.bin")}, 20s, env);
    EXPECT_EQ(c.exitCode, 0) << c.err;
    EXPECT_TRUE(sameBytes(c.out, s.out));
    const auto bundle = curl({https("localhost", "/file.bin")}, 20s, {"CURL_CA_BUNDLE=" + ca()});
    EXPECT_EQ(bundle.exitCode, 0) << bundle.err;
    // Still a full verification: the name is checked against the certificate as with --cacert.
    const auto wrong = sockfetch({https("wrong.localhost", "/")}, 20s, env);
    EXPECT_EQ(wrong.exitCode, 60) << wrong.err;
    EXPECT_EQ(curl({https("wrong.localhost", "/")}, 20s, env).exitCode, 60);
}

TEST_F(SockfetchTls, InsecureSkipsVerification) {
    expectSameAsCurl({"-k", https("127.0.0.1", "/index.html")});
    expectSameAsCurl({"--insecure", https("localhost", "/file.bin")});
}

TEST_F(SockfetchTls, TlsToAPlainHttpPortIs35) {
    const auto r = expectSameAsCurl(
        {"--cacert", ca(), "https://localhost:" + std::to_string(nginx_->httpPort()) + "/"}, 35);
    EXPECT_NE(errorLine(r.sockfetch).find("wrong version number"), std::string::npos);
}

TEST_F(SockfetchTls, UnreadableCacertIs77) {
    expectSameAsCurl({"--cacert", dir_->file("no-such-ca.pem"), https("localhost", "/")}, 77);
}

TEST_F(SockfetchTls, PlainHttpFromNginx) {
    const auto r = expectSameAsCurl({http("127.0.0.1", "/file.bin")});
    EXPECT_TRUE(sameBytes(file_, r.sockfetch.out));
    // nginx echoes the Connection header; sockfetch always sends "close", so curl does too here.
    const std::string close = "Connection: close";
    expectSameAsCurl({"-H", close, "-i", http("127.0.0.1", "/index.html")}, 0, /*maskDate=*/true);
    expectSameAsCurl({"-H", close, "-I", "--cacert", ca(), https("localhost", "/file.bin")}, 0,
                     true);
    expectSameAsCurl({"-H", close, "-g", "-I", http("[::1]", "/index.html")}, 0, true);
    expectSameAsCurl({"-f", http("127.0.0.1", "/missing")}, 22);
}

TEST_F(SockfetchTls, RedirectFromHttpToHttps) {
    const auto r = expectSameAsCurl({"-L", "--cacert", ca(), http("localhost", "/to-https")});
    EXPECT_TRUE(sameBytes(file_, r.sockfetch.out));
}

TEST_F(SockfetchTls, VerboseShowsHandshakeAndHeads) {
    const auto r = sockfetch({"-v", "--cacert", ca(), https("localhost", "/index.html")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_EQ(r.out, "<h1>nginx on loopback</h1>\n");
    for (const char* expected :
         {"* Connected to localhost (", "* SSL connection using TLSv1.3",
          "*  SSL certificate verify ok.", "> GET /index.html HTTP/1.1\n",
          "> Host: localhost:", "< HTTP/1.1 200 OK\n", "< Content-Length: 27\n"})
        EXPECT_NE(r.err.find(expected), std::string::npos) << expected << " in\n" << r.err;
}

}  // namespace
}  // namespace sockfetch_test
