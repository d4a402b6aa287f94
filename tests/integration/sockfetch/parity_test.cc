// sockfetch next to curl on the same URLs of real local servers: the bytes on stdout must be
// identical (the body byte for byte; with -i/-I the heads too).
#include <gtest/gtest.h>

#include "curl_parity.h"

namespace sockfetch_test {
namespace {

using namespace std::string_literals;

TEST(SockfetchCurlParity, BinaryFileFromPythonHttpServer) {
    TempDir dir;
    const std::string bytes = binaryBytes(300 * 1024 + 7);
    dir.write("www/data.bin", bytes);
    StaticServer server(dir.file("www"));
    const auto r = expectSameAsCurl({server.url("/data.bin")});
    EXPECT_TRUE(sameBytes(bytes, r.sockfetch.out));
}

TEST(SockfetchCurlParity, BinaryFileToOutputFile) {
    TempDir dir;
    const std::string bytes = binaryBytes(64 * 1024);
    dir.write("www/data.bin", bytes);
    StaticServer server(dir.file("www"));
    const auto c = curl({"-o", dir.file("curl.bin"), server.url("/data.bin")});
    const auto s = sockfetch({"-o", dir.file("sockfetch.bin"), server.url("/data.bin")});
    ASSERT_EQ(c.exitCode, 0) << c.err;
    ASSERT_EQ(s.exitCode, 0) << s.err;
    EXPECT_EQ(s.out, "");
    EXPECT_TRUE(sameBytes(bytes, readFile(dir.file("sockfetch.bin"))));
    EXPECT_TRUE(sameBytes(readFile(dir.file("curl.bin")), readFile(dir.file("sockfetch.bin"))));
}

TEST(SockfetchCurlParity, HeadsFromPythonHttpServer) {
    TempDir dir;
    dir.write("www/page.html", "<p>hi</p>\n");
    StaticServer server(dir.file("www"));
    expectSameAsCurl({"-i", server.url("/page.html")}, 0, /*maskDate=*/true);
    expectSameAsCurl({"-I", server.url("/page.html")}, 0, /*maskDate=*/true);
}

TEST(SockfetchCurlParity, ChunkedBodyWithDelaysAndTrailer) {
    ScriptServer server;
    const auto plain = expectSameAsCurl({server.url("/chunked")});
    EXPECT_EQ(plain.sockfetch.out.size(), 12u + 256u + 9u);
    // With -i the trailer line comes after the body, as curl prints it.
    const auto included = expectSameAsCurl({"-i", server.url("/chunked")});
    EXPECT_TRUE(included.sockfetch.out.ends_with("last\nX-Checksum: abc123\r\n"));
}

TEST(SockfetchCurlParity, CloseDelimitedBody) {
    ScriptServer server;
    const auto r = expectSameAsCurl({server.url("/close")});
    EXPECT_EQ(r.sockfetch.out, "close-delimited body\nsecond part\n");
    expectSameAsCurl({"-i", server.url("/close")});
}

TEST(SockfetchCurlParity, HeadRequests) {
    ScriptServer server;
    const auto r = expectSameAsCurl({"-I", server.url("/hello")});
    EXPECT_TRUE(r.sockfetch.out.starts_with("HTTP/1.1 200 OK\r\n"));
    EXPECT_TRUE(r.sockfetch.out.ends_with("\r\n\r\n"));
    expectSameAsCurl({"-I", server.url("/chunked")});
    expectSameAsCurl({"-I", server.url("/close")});
}

TEST(SockfetchCurlParity, NoContentAndNotModified) {
    ScriptServer server;
    expectSameAsCurl({server.url("/204")});
    expectSameAsCurl({"-i", server.url("/204")});
    expectSameAsCurl({"-i", server.url("/304")});
    // A Content-Length on a 204 must not make the client wait for a body.
    expectSameAsCurl({"-i", "-m", "5", server.url("/204-with-length")});
}

TEST(SockfetchCurlParity, InterimResponseBeforeTheRealOne) {
    ScriptServer server;
    expectSameAsCurl({server.url("/continue")});
    const auto r = expectSameAsCurl({"-i", server.url("/continue")});
    EXPECT_TRUE(r.sockfetch.out.starts_with("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"));
}

TEST(SockfetchCurlParity, RedirectsFollowedWithL) {
    ScriptServer server;
    // 5 hops through 301, 302, 303, 307 and 308 with relative Locations.
    const auto r = expectSameAsCurl({"-L", server.url("/redirect?n=5")});
    EXPECT_EQ(r.sockfetch.out, "hello world\n");
    expectSameAsCurl({"-iL", server.url("/redirect?n=5")});
    expectSameAsCurl({"-IL", server.url("/redirect?n=3")});
    // Scheme-relative and absolute Locations.
    const std::string hostPort = "127.0.0.1:" + std::to_string(server.port());
    expectSameAsCurl({"-L", server.url("/redirect-to?to=//" + hostPort + "/hello")});
    expectSameAsCurl({"-L", server.url("/redirect-to?to=http://" + hostPort + "/chunked")});
}

TEST(SockfetchCurlParity, RedirectNotFollowedWithoutL) {
    ScriptServer server;
    const auto r = expectSameAsCurl({"-i", server.url("/redirect?n=2")});
    EXPECT_TRUE(r.sockfetch.out.ends_with("redirect body\n"));
}

TEST(SockfetchCurlParity, TutorialPageWithUtf8AndBlankLineInBody) {
    ScriptServer server;
    const std::string expected =
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Grüße – "
        "日本語</title></head>\n"
        "<body><p>Ünïcödé ✓ 🚀</p>\r\n\r\n<p>after a blank CRLF line</p></body></html>\n";
    const auto r = expectSameAsCurl({server.url("/utf8")});
    EXPECT_EQ(r.sockfetch.out, expected);
    const auto i = expectSameAsCurl({"-i", server.url("/utf8")});
    EXPECT_TRUE(i.sockfetch.out.ends_with(expected));
}

TEST(SockfetchCurlParity, LargeBody) {
    ScriptServer server;
    const auto r = expectSameAsCurl({server.url("/big")});
    EXPECT_EQ(r.sockfetch.out.size(), 3u * 1024 * 1024);
}

TEST(SockfetchCurlParity, Ipv6Literal) {
    ScriptServer server("::1");
    const auto r = expectSameAsCurl({"-g", server.url("/hello")});
    EXPECT_EQ(r.sockfetch.out, "hello world\n");
    // Host header keeps the brackets.
    const auto echo = sockfetch({server.url("/echo")});
    EXPECT_NE(echo.out.find("\r\nHost: [::1]:" + std::to_string(server.port()) + "\r\n"),
              std::string::npos)
        << echo.out;
}

TEST(SockfetchCurlParity, HostNameResolved) {
    ScriptServer server;
    expectSameAsCurl({"http://localhost:" + std::to_string(server.port()) + "/hello"});
}

TEST(SockfetchRequestHead, DefaultsPathAndQueryAsGiven) {
    ScriptServer server;
    const auto r = sockfetch({server.url("/echo?a=1&b=%2F#frag")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_EQ(r.out,
              "GET /echo?a=1&b=%2F HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server.port()) +
                  "\r\nUser-Agent: sockfetch/" SOCKCHAT_VERSION
                  "\r\nAccept: */*\r\nConnection: close\r\n\r\n");
}

TEST(SockfetchRequestHead, SameAsCurlWithTheSameHeaders) {
    ScriptServer server;
    // With sockfetch's User-Agent and Connection given to both, the request heads are identical
    // byte for byte: same order, and -H replaces, removes ("Name:") and adds ("Name;" = empty)
    // the same way.
    expectSameAsCurl({"-H", "User-Agent: sockfetch/" SOCKCHAT_VERSION, "-H", "Connection: close",
                      server.url("/echo")});
    std::vector<std::string> args = {"-H", "Connection: close"};
    for (const char* h : {"X-A: 1", "X-Empty;", "Accept:", "Host: virtual.example",
                          "User-Agent: test/1", "X-A: 2"}) {
        args.push_back("-H");
        args.push_back(h);
    }
    args.push_back(server.url("/echo"));
    const auto r = expectSameAsCurl(args);
    EXPECT_EQ(r.sockfetch.out,
              "GET /echo HTTP/1.1\r\nHost: virtual.example\r\nConnection: close\r\nX-A: 1\r\n"
              "X-Empty:\r\nUser-Agent: test/1\r\nX-A: 2\r\n\r\n");
}

TEST(SockfetchRequestHead, HeadMethodWithI) {
    ScriptServer server;
    const auto r = sockfetch({"-v", "-I", server.url("/hello")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.err.find("> HEAD /hello HTTP/1.1\n"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sockfetch_test
