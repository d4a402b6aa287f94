#include <gtest/gtest.h>

#include "sockchat/http/fetch_error.h"
#include "sockchat/http/request.h"

namespace sockchat::http {
namespace {

std::string ua() {
    return "User-Agent: sockfetch/" SOCKCHAT_VERSION "\r\n";
}

TEST(HttpRequest, DefaultHead) {
    EXPECT_EQ(buildRequest("GET", parseUrl("http://h:8080/p?q=1"), {}),
              "GET /p?q=1 HTTP/1.1\r\nHost: h:8080\r\n" + ua() +
                  "Accept: */*\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(
        buildRequest("HEAD", parseUrl("https://[::1]/"), {}),
        "HEAD / HTTP/1.1\r\nHost: [::1]\r\n" + ua() + "Accept: */*\r\nConnection: close\r\n\r\n");
}

TEST(HttpRequest, UserHeadersReplaceRemoveAndAdd) {
    const std::vector<UserHeader> headers = {
        parseUserHeader("X-First: 1"),
        parseUserHeader("user-agent: mine/2"),
        parseUserHeader("Accept:"),
        parseUserHeader("X-Empty;"),
        parseUserHeader("Host: virtual.example"),
        parseUserHeader("X-First: again"),
    };
    EXPECT_EQ(buildRequest("GET", parseUrl("http://h/"), headers),
              "GET / HTTP/1.1\r\nHost: virtual.example\r\nConnection: close\r\n"
              "X-First: 1\r\nuser-agent: mine/2\r\nX-Empty:\r\nX-First: again\r\n\r\n");
    // "Host:" removes even the Host header (curl allows it too; HTTP/1.0 servers may not care).
    EXPECT_EQ(buildRequest("GET", parseUrl("http://h/"), {parseUserHeader("Host:")}),
              "GET / HTTP/1.1\r\n" + ua() + "Accept: */*\r\nConnection: close\r\n\r\n");
}

TEST(HttpRequest, ParseUserHeaderForms) {
    auto h = parseUserHeader("Name:   spaced value  ");
    EXPECT_EQ(h.name, "Name");
    EXPECT_EQ(h.value, "spaced value");
    EXPECT_FALSE(h.remove);
    EXPECT_TRUE(parseUserHeader("Name:").remove);
    EXPECT_TRUE(parseUserHeader("Name:  ").remove);
    h = parseUserHeader("Name;");
    EXPECT_FALSE(h.remove);
    EXPECT_EQ(h.value, "");
    EXPECT_EQ(parseUserHeader("X: a;b").value, "a;b");
}

TEST(HttpRequest, BadUserHeadersAreCommandLineErrors) {
    for (const char* bad : {"NoSeparator", ": value", "Bad Name: x", "X: a\r\nY: b", "X;y"}) {
        try {
            parseUserHeader(bad);
            ADD_FAILURE() << bad;
        } catch (const FetchError& e) {
            EXPECT_EQ(e.code(), FetchCode::failedInit) << bad;
        }
    }
}

}  // namespace
}  // namespace sockchat::http
