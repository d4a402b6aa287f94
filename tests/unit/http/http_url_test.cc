#include <gtest/gtest.h>

#include "sockchat/http/fetch_error.h"
#include "sockchat/http/url.h"

namespace sockchat::http {
namespace {

FetchCode codeOf(std::string_view text) {
    try {
        parseUrl(text);
    } catch (const FetchError& e) {
        return e.code();
    }
    return FetchCode::ok;
}

TEST(HttpUrl, ParsesHostPortAndTarget) {
    const Url url = parseUrl("http://example.com:8080/a/b?x=1&y=%20");
    EXPECT_EQ(url.scheme, "http");
    EXPECT_EQ(url.host, "example.com");
    EXPECT_EQ(url.port, 8080);
    EXPECT_EQ(url.target, "/a/b?x=1&y=%20");
    EXPECT_EQ(url.authority(), "example.com:8080");
}

TEST(HttpUrl, DefaultPortsAreLeftOutOfTheAuthority) {
    const Url http = parseUrl("http://h/");
    EXPECT_EQ(http.port, 80);
    EXPECT_EQ(http.authority(), "h");
    const Url https = parseUrl("HTTPS://h");
    EXPECT_EQ(https.scheme, "https");
    EXPECT_EQ(https.port, 443);
    EXPECT_EQ(https.target, "/");
    EXPECT_EQ(parseUrl("https://h:443/").authority(), "h");
    EXPECT_EQ(parseUrl("http://h:443/").authority(), "h:443");
}

TEST(HttpUrl, Ipv6LiteralKeepsBracketsOnlyInTheAuthority) {
    const Url url = parseUrl("http://[::1]:8080/x");
    EXPECT_EQ(url.host, "::1");
    EXPECT_TRUE(url.ipv6Literal());
    EXPECT_EQ(url.port, 8080);
    EXPECT_EQ(url.authority(), "[::1]:8080");
    EXPECT_EQ(parseUrl("http://[fe80::1%25lo]/").host, "fe80::1%lo");
    EXPECT_EQ(parseUrl("http://[fe80::1%25lo]/").authority(), "[fe80::1%25lo]");
}

TEST(HttpUrl, TargetDefaultsAndFragment) {
    EXPECT_EQ(parseUrl("http://h?q=1").target, "/?q=1");
    EXPECT_EQ(parseUrl("http://h/p#frag").target, "/p");
    EXPECT_EQ(parseUrl("http://h:/p").port, 80);  // empty port: the default, like curl
}

TEST(HttpUrl, NoSchemeMeansHttp) {
    const Url url = parseUrl("localhost:9000/x");
    EXPECT_EQ(url.scheme, "http");
    EXPECT_EQ(url.host, "localhost");
    EXPECT_EQ(url.port, 9000);
}

TEST(HttpUrl, OtherSchemesAreUnsupportedProtocol) {
    EXPECT_EQ(codeOf("ftp://h/"), FetchCode::unsupportedProtocol);
    EXPECT_EQ(codeOf("gopher://h/"), FetchCode::unsupportedProtocol);
    try {
        parseUrl("foo://x");
        FAIL();
    } catch (const FetchError& e) {
        EXPECT_STREQ(e.what(), "Protocol \"foo\" not supported");
    }
}

TEST(HttpUrl, MalformedUrls) {
    for (const char* bad :
         {"", "http://", "http:///x", "http://:80/", "http://h:99999/", "http://h:8o/",
          "http://h:-1/", "http://[::1", "http://[::1]x/", "http://[zz::1]/", "http://a b/",
          "http://h/a b", "http://h/\r\n", "http://us:pw@h/", "http://h<>/", "1http://h/"}) {
        EXPECT_EQ(codeOf(bad), FetchCode::urlMalformat) << bad;
    }
}

// RFC 3986 section 5.4: the normal and abnormal examples (fragments are dropped because they
// are never sent).
TEST(HttpUrlResolve, Rfc3986Examples) {
    const Url base = parseUrl("http://a/b/c/d;p?q");
    const std::pair<const char*, const char*> cases[] = {
        {"g", "http://a/b/c/g"},
        {"./g", "http://a/b/c/g"},
        {"g/", "http://a/b/c/g/"},
        {"/g", "http://a/g"},
        {"//g", "http://g"},
        {"?y", "http://a/b/c/d;p?y"},
        {"g?y", "http://a/b/c/g?y"},
        {"#s", "http://a/b/c/d;p?q"},
        {"g#s", "http://a/b/c/g"},
        {";x", "http://a/b/c/;x"},
        {"g;x", "http://a/b/c/g;x"},
        {"", "http://a/b/c/d;p?q"},
        {".", "http://a/b/c/"},
        {"./", "http://a/b/c/"},
        {"..", "http://a/b/"},
        {"../", "http://a/b/"},
        {"../g", "http://a/b/g"},
        {"../..", "http://a/"},
        {"../../", "http://a/"},
        {"../../g", "http://a/g"},
        {"../../../g", "http://a/g"},
        {"../../../../g", "http://a/g"},
        {"/./g", "http://a/g"},
        {"/../g", "http://a/g"},
        {"g.", "http://a/b/c/g."},
        {".g", "http://a/b/c/.g"},
        {"g..", "http://a/b/c/g.."},
        {"..g", "http://a/b/c/..g"},
        {"./../g", "http://a/b/g"},
        {"./g/.", "http://a/b/c/g/"},
        {"g/./h", "http://a/b/c/g/h"},
        {"g/../h", "http://a/b/c/h"},
        {"g;x=1/./y", "http://a/b/c/g;x=1/y"},
        {"g;x=1/../y", "http://a/b/c/y"},
        {"http://other:81/z", "http://other:81/z"},
        {"https://secure/", "https://secure/"},
    };
    for (const auto& [ref, expected] : cases)
        EXPECT_EQ(resolveReference(base, ref), expected) << ref;
}

TEST(HttpUrlResolve, KeepsPortAndIpv6OfTheBase) {
    EXPECT_EQ(resolveReference(parseUrl("http://h:8080/x/y"), "z"), "http://h:8080/x/z");
    EXPECT_EQ(resolveReference(parseUrl("https://[::1]:8443/x"), "/y?q"), "https://[::1]:8443/y?q");
    EXPECT_EQ(resolveReference(parseUrl("https://h/x"), "//o:1/p"), "https://o:1/p");
}

TEST(HttpUrlResolve, PercentEncodesBytesAUrlCannotCarry) {
    EXPECT_EQ(resolveReference(parseUrl("http://h/"), "/a b/\xc3\xbc"), "http://h/a%20b/%C3%BC");
    // The result is a valid URL again.
    EXPECT_EQ(parseUrl(resolveReference(parseUrl("http://h/"), "/a b")).target, "/a%20b");
}

}  // namespace
}  // namespace sockchat::http
