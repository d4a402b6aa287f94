// sockfetch's command line as a curl user types it: help, version, -o, -v, combined short
// flags, options after the URL, and the man page staying in step with --help.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <set>

#include "curl_parity.h"

namespace sockfetch_test {
namespace {

TEST(SockfetchCli, HelpListsEveryOption) {
    const auto r = sockfetch({"--help"});
    EXPECT_EQ(r.exitCode, 0);
    for (const char* option :
         {"--output", "--include", "--head", "--verbose", "--location", "--max-redirs",
          "--connect-timeout", "--max-time", "--insecure", "--cacert", "--fail", "--silent",
          "--show-error", "--header", "--version", "--help"})
        EXPECT_NE(r.out.find(option), std::string::npos) << option;
    EXPECT_EQ(sockfetch({"-h"}).out, r.out);
}

TEST(SockfetchCli, Version) {
    const auto r = sockfetch({"--version"});
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_TRUE(r.out.starts_with("sockfetch " SOCKCHAT_VERSION " (OpenSSL ")) << r.out;
    EXPECT_NE(r.out.find("http-parser 2."), std::string::npos) << r.out;
    EXPECT_EQ(sockfetch({"-V"}).out, r.out);
}

TEST(SockfetchCli, OutputFileWithHeadsAndEmptyBodies) {
    ScriptServer server;
    TempDir dir;
    auto r = sockfetch({"-i", "-o", dir.file("with-head"), server.url("/hello")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_EQ(r.out, "");
    const auto c = curl({"-i", server.url("/hello")});
    EXPECT_EQ(readFile(dir.file("with-head")), c.out);
    // An empty body still creates the (empty) file, as curl does.
    r = sockfetch({"-o", dir.file("empty"), server.url("/204")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    ASSERT_TRUE(std::filesystem::exists(dir.file("empty")));
    EXPECT_EQ(std::filesystem::file_size(dir.file("empty")), 0u);
    // "-o -" is stdout.
    EXPECT_EQ(sockfetch({"-o", "-", server.url("/hello")}).out, "hello world\n");
}

TEST(SockfetchCli, CurlStyleOptionForms) {
    ScriptServer server;
    TempDir dir;
    // Combined short flags, an attached value, options after the URL.
    auto r = sockfetch({server.url("/redirect?n=2"), "-sSLo", dir.file("a")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_EQ(readFile(dir.file("a")), "hello world\n");
    r = sockfetch({"-fsSL", "-o" + dir.file("b"), server.url("/hello")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_EQ(readFile(dir.file("b")), "hello world\n");
    // Repeated -H, each taking exactly one value (the URL after it is not swallowed).
    r = sockfetch({"-H", "X-One: 1", "-H", "X-Two: 2", server.url("/echo")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("\r\nX-One: 1\r\nX-Two: 2\r\n"), std::string::npos) << r.out;
    r = sockfetch({"--header=X-Three: 3", "--max-redirs=3", "--connect-timeout=2.5", "--max-time=5",
                   server.url("/echo")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("\r\nX-Three: 3\r\n"), std::string::npos) << r.out;
}

// sockfetch's own timeout (exit 28) must fire before the harness's kill at 8 s, which "-m0.25"
// misread as 0 (no limit) or as 25 would reach. The 8 s only bounds the wait: no assertion on
// how long it took.
TEST(SockfetchCli, DecimalMaxTime) {
    ScriptServer server;
    const auto r = sockfetch({"-m0.25", server.url("/silent")}, std::chrono::seconds(8));
    EXPECT_FALSE(r.timedOut) << "-m0.25 did not stop sockfetch";
    EXPECT_EQ(r.exitCode, 28) << r.err;
}

TEST(SockfetchCli, VerboseGoesToStderrOnly) {
    ScriptServer server;
    const auto r = sockfetch({"-v", server.url("/hello")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_EQ(r.out, "hello world\n");
    const std::string port = std::to_string(server.port());
    for (const std::string& expected : std::vector<std::string>{
             "*   Trying 127.0.0.1:" + port + "...\n",
             "* Connected to 127.0.0.1 (127.0.0.1) port " + port + "\n",
             "> GET /hello HTTP/1.1\n> Host: 127.0.0.1:" + port + "\n", "> Connection: close\n> \n",
             "< HTTP/1.1 200 OK\n", "< Content-Length: 12\n"})
        EXPECT_NE(r.err.find(expected), std::string::npos) << expected << " in\n" << r.err;
}

TEST(SockfetchCli, VerboseShowsRedirectsAndFailedAttempts) {
    ScriptServer server;
    const auto r = sockfetch({"-vL", server.url("/redirect?n=1")});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.err.find("* Issue another request to this URL: '" + server.url("/hello") + "'"),
              std::string::npos)
        << r.err;
    const auto refused = sockfetch({"-v", "http://127.0.0.1:" + std::to_string(refusedPort())});
    EXPECT_NE(refused.err.find("failed: Connection refused"), std::string::npos) << refused.err;
}

TEST(SockfetchCli, ManPageDocumentsEveryLongOption) {
    const std::string man = readFile(SOCKFETCH_MAN_PAGE);
    ASSERT_FALSE(man.empty());
    const std::string help = sockfetch({"--help"}).out;
    const std::regex longOption("--[a-z][a-z-]+");
    std::set<std::string> options;
    for (auto it = std::sregex_iterator(help.begin(), help.end(), longOption);
         it != std::sregex_iterator(); ++it)
        options.insert(it->str());
    EXPECT_GE(options.size(), 15u);
    for (const auto& option : options) {
        // roff escapes the dashes: \-\-max\-time
        std::string escaped;
        for (const char c : option) escaped += c == '-' ? std::string("\\-") : std::string(1, c);
        EXPECT_NE(man.find(escaped), std::string::npos) << option << " is not in the man page";
    }
}

}  // namespace
}  // namespace sockfetch_test
