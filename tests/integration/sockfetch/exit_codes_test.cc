// Every exit code sockfetch documents, produced by a real situation on loopback and compared
// with curl's exit code for the same situation.
#include <gtest/gtest.h>

#include <chrono>

#include "curl_parity.h"
#include "sockchat/net/socket.h"

namespace sockfetch_test {
namespace {

using Clock = std::chrono::steady_clock;

TEST(SockfetchExitCodes, UnsupportedProtocolIs1) {
    const auto r = expectSameAsCurl({"foo://127.0.0.1/"}, 1);
    EXPECT_EQ(errorLine(r.sockfetch), "sockfetch: (1) Protocol \"foo\" not supported");
}

TEST(SockfetchExitCodes, MalformedUrlIs3) {
    for (const char* url : {"http://", "http://127.0.0.1:99999/", "http://[::1", "http://h:x/"}) {
        const auto r = expectSameAsCurl({url}, 3);
        EXPECT_TRUE(
            errorLine(r.sockfetch).starts_with("sockfetch: (3) URL using bad/illegal format"))
            << url;
    }
}

TEST(SockfetchExitCodes, UnknownHostIs6) {
    const auto r = expectSameAsCurl({"http://nonexistent.invalid/"}, 6);
    EXPECT_EQ(errorLine(r.sockfetch), "sockfetch: (6) Could not resolve host: nonexistent.invalid");
}

TEST(SockfetchExitCodes, RefusedPortIs7) {
    const auto port = std::to_string(refusedPort());
    const auto r = expectSameAsCurl({"http://127.0.0.1:" + port + "/"}, 7);
    EXPECT_EQ(errorLine(r.sockfetch), "sockfetch: (7) Failed to connect to 127.0.0.1 port " + port +
                                          " : Connection refused");
}

TEST(SockfetchExitCodes, NotHttpIs8) {
    ScriptServer server;
    expectSameAsCurl({server.url("/garbage")}, 8);
}

TEST(SockfetchExitCodes, TruncatedHeadIs8WhereCurlSays0) {
    // "HTTP/1.1 200 OK\r\nContent-" and close: no complete response arrived. A deliberate
    // difference (see the man page, EXIT STATUS 8): curl 7.88 reports success with an empty
    // body, which a script cannot tell from a real empty 200.
    ScriptServer server;
    const auto r = sockfetch({server.url("/partial-head")});
    EXPECT_EQ(r.exitCode, 8);
    EXPECT_EQ(errorLine(r),
              "sockfetch: (8) Connection closed before the response head was complete");
    EXPECT_EQ(r.out, "");
    const auto c = curl({server.url("/partial-head")});
    EXPECT_EQ(c.exitCode, 0) << c.err;
    EXPECT_EQ(c.out, "");
    // With -i curl prints the status line as if it were the whole head; sockfetch prints none.
    const auto included = sockfetch({"-i", server.url("/partial-head")});
    EXPECT_EQ(included.exitCode, 8);
    EXPECT_EQ(included.out, "");
    EXPECT_EQ(curl({"-i", server.url("/partial-head")}).out, "HTTP/1.1 200 OK\r\n");
}

TEST(SockfetchExitCodes, ChunkedNotFinalTransferEncodingIs8WhereCurlSays0) {
    // "Transfer-Encoding: chunked" then "Transfer-Encoding: identity": chunked is not the final
    // coding. Refused like conflicting Content-Length headers, rather than passing the chunk
    // framing off as the body (see the man page, EXIT STATUS 8). curl 7.88 decodes the chunks.
    ScriptServer server;
    for (const char* option : {"-s", "-i"}) {
        const auto r = sockfetch({"-S", option, server.url("/chunked-then-identity")});
        EXPECT_EQ(r.exitCode, 8) << option;
        EXPECT_EQ(r.out, "") << option;
        EXPECT_EQ(errorLine(r),
                  "sockfetch: (8) Weird server reply: unsupported Transfer-Encoding \"chunked, "
                  "identity\": chunked must be the only coding")
            << option;
    }
    const auto c = curl({server.url("/chunked-then-identity")});
    EXPECT_EQ(c.exitCode, 0) << c.err;
    EXPECT_EQ(c.out, "hello");
}

TEST(SockfetchExitCodes, TruncatedBodyIs18) {
    ScriptServer server;
    const auto r = expectSameAsCurl({server.url("/truncated")}, 18);
    EXPECT_EQ(r.sockfetch.out, "only 20 bytes here\n\n");  // what did arrive is delivered
    EXPECT_EQ(errorLine(r.sockfetch),
              "sockfetch: (18) transfer closed with 80 bytes remaining to read");
    expectSameAsCurl({server.url("/chunked-truncated")}, 18);
}

TEST(SockfetchExitCodes, FailOnHttpErrorIs22) {
    ScriptServer server;
    const auto r = expectSameAsCurl({"--fail", server.url("/status?code=404")}, 22);
    EXPECT_EQ(r.sockfetch.out, "");
    EXPECT_EQ(errorLine(r.sockfetch), "sockfetch: (22) The requested URL returned error: 404");
    // With -i the head is shown, the body is not (curl does the same).
    expectSameAsCurl({"-f", "-i", server.url("/status?code=500")}, 22);
    // Below 400 --fail changes nothing; without --fail an error page is just a page.
    expectSameAsCurl({"-f", server.url("/status?code=399")}, 0);
    expectSameAsCurl({server.url("/status?code=404")}, 0);
    // No output file is left behind.
    TempDir dir;
    EXPECT_EQ(sockfetch({"-f", "-o", dir.file("page"), server.url("/status?code=404")}).exitCode,
              22);
    EXPECT_FALSE(std::filesystem::exists(dir.file("page")));
}

TEST(SockfetchExitCodes, WriteErrorIs23) {
    ScriptServer server;
    const auto r = expectSameAsCurl({"-o", "/dev/full", server.url("/hello")}, 23);
    EXPECT_TRUE(errorLine(r.sockfetch).starts_with("sockfetch: (23) Failure writing output"));
}

TEST(SockfetchExitCodes, SilentServerIs28WithinMaxTime) {
    ScriptServer server;
    const auto start = Clock::now();
    // Its own timeout must end it: the harness's kill (8 s) only bounds the wait, as an upper
    // bound on the time taken would fail under load. Never early, though: load cannot shorten it.
    const auto r = sockfetch({"--max-time", "0.3", server.url("/silent")}, 8s);
    const auto took = Clock::now() - start;
    EXPECT_FALSE(r.timedOut);
    EXPECT_EQ(r.exitCode, 28);
    EXPECT_TRUE(errorLine(r).starts_with("sockfetch: (28) Operation timed out after "));
    EXPECT_GE(took, std::chrono::milliseconds(300));
    expectSameAsCurl({"-m", "0.3", server.url("/silent")}, 28);
}

TEST(SockfetchExitCodes, StalledBodyIs28AndKeepsWhatArrived) {
    ScriptServer server;
    const auto r = expectSameAsCurl({"-m", "0.3", server.url("/slow-body")}, 28);
    EXPECT_EQ(r.sockfetch.out, "abc");
    EXPECT_NE(errorLine(r.sockfetch).find("with 3 out of 10 bytes received"), std::string::npos);
}

TEST(SockfetchExitCodes, MaxTimeHoldsWhileBytesKeepComing) {
    // The server is always ahead, so a read never has to wait for data: the deadline must be
    // checked all the same, or -m would never end this endless body.
    ScriptServer server;
    const auto start = Clock::now();
    const auto r =
        sockfetch({"-m", "1", "-o", "/dev/null", server.url("/endless-tiny-chunks")}, 8s);
    const auto took = Clock::now() - start;
    EXPECT_FALSE(r.timedOut);
    EXPECT_EQ(r.exitCode, 28);
    EXPECT_TRUE(errorLine(r).starts_with("sockfetch: (28) Operation timed out after ")) << r.err;
    EXPECT_GE(took, 1s);  // never early
}

TEST(SockfetchExitCodes, EndlessInterimResponsesAre56LikeCurl) {
    // "100 Continue" back to back, never a final response: curl gives up once the heads pass
    // 300 KiB, with or without -m. (curl counts line by line, so its number is 307223.)
    ScriptServer server;
    const auto r = sockfetch({server.url("/continue-forever")}, 8s);  // a hang fails, fast
    EXPECT_FALSE(r.timedOut);
    EXPECT_EQ(r.exitCode, 56);
    EXPECT_EQ(errorLine(r), "sockfetch: (56) Too large response headers: 307225 > 307200");
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(curl({server.url("/continue-forever")}, 8s).exitCode, 56);
    EXPECT_EQ(sockfetch({"-m", "1", server.url("/continue-forever")}, 8s).exitCode, 56);
}

TEST(SockfetchExitCodes, MaxTimeInARedirectLoopIsAnOperationTimeout) {
    // -m runs out at whatever step of whichever hop: always the one "Operation timed out"
    // message, never one about resolving a host that is an address. Several runs, because
    // where it runs out is a matter of timing.
    ScriptServer server;
    for (int run = 0; run < 5; ++run) {
        const auto r =
            sockfetch({"-L", "--max-redirs", "-1", "-m", "0.3", server.url("/loop")}, 8s);
        EXPECT_FALSE(r.timedOut);
        EXPECT_EQ(r.exitCode, 28) << r.err;
        const std::string line = errorLine(r);
        EXPECT_TRUE(line.starts_with("sockfetch: (28) Operation timed out after ")) << line;
        EXPECT_TRUE(line.ends_with(" milliseconds with 0 bytes received")) << line;
    }
}

TEST(SockfetchExitCodes, ConnectTimeoutIs28) {
    // A listener whose accept queue is full: the kernel drops further SYNs, so a connect
    // stays pending, as with a black-holed address, without leaving loopback.
    int error = 0;
    auto listener =
        sockchat::net::listenTcp(*sockchat::net::SocketAddress::parse("127.0.0.1:0"), 0, &error);
    ASSERT_TRUE(listener.valid());
    const auto address = sockchat::net::localAddress(listener.get());
    auto filler = sockchat::net::connectTcp(address, &error);
    ASSERT_TRUE(filler.valid());
    const std::string url = "http://127.0.0.1:" + std::to_string(address.port()) + "/";
    // A connect left pending for good would hang until the harness's kill: exit 28 shows the
    // timeout ended it.
    const auto r = expectSameAsCurl({"--connect-timeout", "0.3", url}, 28);
    EXPECT_TRUE(errorLine(r.sockfetch).ends_with("Timeout was reached")) << r.sockfetch.err;
    // --max-time bounds the connect too.
    EXPECT_EQ(sockfetch({"-m", "0.3", url}).exitCode, 28);
}

TEST(SockfetchExitCodes, StalledTlsHandshakeIs28) {
    // Connects, then the server never answers the ClientHello.
    ScriptServer server("127.0.0.1", ScriptServer::Mode::silentTcp);
    const std::string hostPort = "127.0.0.1:" + std::to_string(server.port());
    const std::string url = "https://" + hostPort + "/";
    for (const char* option : {"--connect-timeout", "-m"}) {
        const auto start = Clock::now();
        const auto r = sockfetch({"-k", option, "0.3", url}, 10s);  // a hang fails, fast
        const auto took = Clock::now() - start;
        EXPECT_FALSE(r.timedOut) << option;
        EXPECT_EQ(r.exitCode, 28) << option << ": " << r.err;
        EXPECT_EQ(errorLine(r),
                  "sockfetch: (28) SSL connection timeout in connection to " + hostPort)
            << option;
        EXPECT_GE(took, std::chrono::milliseconds(300)) << option;  // never early
        EXPECT_EQ(curl({"-k", option, "0.3", url}, 10s).exitCode, 28) << option;
    }
}

TEST(SockfetchExitCodes, RedirectLoopIs47) {
    ScriptServer server;
    const auto r = expectSameAsCurl({"-L", server.url("/loop")}, 47);
    EXPECT_EQ(errorLine(r.sockfetch), "sockfetch: (47) Maximum (50) redirects followed");
    expectSameAsCurl({"-L", "--max-redirs", "0", server.url("/redirect?n=1")}, 47);
    expectSameAsCurl({"-L", "--max-redirs", "2", server.url("/redirect?n=5")}, 47);
    expectSameAsCurl({"-iL", "--max-redirs", "2", server.url("/redirect?n=3")}, 47);
    expectSameAsCurl({"-L", "--max-redirs", "2", server.url("/redirect?n=2")}, 0);
    expectSameAsCurl({"-L", "--max-redirs", "-1", server.url("/redirect?n=5")}, 0);
}

TEST(SockfetchExitCodes, ClosedAtOnceIs52) {
    ScriptServer server;
    const auto r = expectSameAsCurl({server.url("/close-now")}, 52);
    EXPECT_EQ(errorLine(r.sockfetch), "sockfetch: (52) Empty reply from server");
}

TEST(SockfetchExitCodes, ConnectionResetIs56) {
    ScriptServer server;
    const auto r = expectSameAsCurl({server.url("/reset")}, 56);
    EXPECT_EQ(errorLine(r.sockfetch), "sockfetch: (56) Recv failure: Connection reset by peer");
}

TEST(SockfetchExitCodes, CommandLineErrorsAre2) {
    EXPECT_EQ(sockfetch({}).exitCode, 2);
    EXPECT_EQ(curl({}).exitCode, 2);
    EXPECT_EQ(sockfetch({"--no-such-option", "http://127.0.0.1/"}).exitCode, 2);
    EXPECT_EQ(sockfetch({"-m", "soon", "http://127.0.0.1/"}).exitCode, 2);
    EXPECT_EQ(sockfetch({"-H", "no separator", "http://127.0.0.1/"}).exitCode, 2);
    EXPECT_EQ(sockfetch({"http://127.0.0.1/", "http://127.0.0.2/"}).exitCode, 2);
}

TEST(SockfetchErrorMessages, CommandLineErrorsNameTheMistakeAndTheHelp) {
    // curl's hint line, after one "sockfetch: " line that says what is wrong.
    const std::string hint = "sockfetch: try 'sockfetch --help' for more information\n";
    struct Case {
        std::vector<std::string> args;
        std::string message;
    };
    for (const auto& c : std::vector<Case>{
             {{"--no-such-option", "http://127.0.0.1/"}, "unknown option '--no-such-option'"},
             {{"http://127.0.0.1/", "-o"}, "option --output needs a value"},
             {{"http://127.0.0.1/", "http://127.0.0.2/"},
              "unexpected argument 'http://127.0.0.2/'"},
             {{}, "no URL specified!"},
         }) {
        const auto r = sockfetch(c.args);
        EXPECT_EQ(r.exitCode, 2) << c.message;
        EXPECT_EQ(r.err, "sockfetch: " + c.message + "\n" + hint);
        EXPECT_EQ(r.out, "") << c.message;
    }
}

TEST(SockfetchErrorMessages, SilentAndShowError) {
    const std::string url = "http://127.0.0.1:" + std::to_string(refusedPort()) + "/";
    const auto plain = sockfetch({url});
    EXPECT_EQ(plain.exitCode, 7);
    EXPECT_TRUE(errorLine(plain).starts_with("sockfetch: (7) "));
    const auto silent = sockfetch({"-s", url});
    EXPECT_EQ(silent.exitCode, 7);
    EXPECT_EQ(silent.err, "");
    const auto shown = sockfetch({"-sS", url});
    EXPECT_EQ(shown.exitCode, 7);
    EXPECT_EQ(shown.err, plain.err);
    EXPECT_EQ(sockfetch({"--silent", "--show-error", url}).err, plain.err);
}

}  // namespace
}  // namespace sockfetch_test
