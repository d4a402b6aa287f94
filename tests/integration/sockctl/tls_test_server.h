#pragma once
// TlsTestServer: a real TLS server for sockctl's TLS tests, socat in its own process group on a
// loopback port. It terminates TLS with a TestPki certificate and hands the plain bytes to
// `target`: "EXEC:cat" (an echo server) or "TCP:127.0.0.1:PORT" (TLS in front of a plain
// sockchatd). Also serves plain TCP (no certificate), for the tests that aim TLS at a port that
// does not speak it.
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "test_pki.h"

namespace sockctl_test {

class TlsTestServer {
  public:
    struct Options {
        std::string target = "EXEC:cat";
        bool plain = false;      // plain TCP: no TLS at all
        std::uint16_t port = 0;  // 0 = a free one
    };

    // Starts socat and waits (bounded, by connecting) until it listens; throws if it does not.
    TlsTestServer(const sockchat::testing::TestPki::Pair& certificate, const Options& options);
    ~TlsTestServer();  // stops socat and the connections it forked
    TlsTestServer(const TlsTestServer&) = delete;
    TlsTestServer& operator=(const TlsTestServer&) = delete;

    std::uint16_t port() const { return port_; }
    // Ends socat and every connection it serves (as a daemon stopping would).
    void stop();

  private:
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
};

// Whether `socat` is installed (the tests skip with a message when not).
bool haveSocat();

}  // namespace sockctl_test
