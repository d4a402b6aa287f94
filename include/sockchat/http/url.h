#pragma once
// Url: the parts of an http(s) URL that a GET needs, parsed the way curl does for the cases
// sockfetch supports, plus RFC 3986 reference resolution for redirect targets.
#include <cstdint>
#include <string>
#include <string_view>

namespace sockchat::http {

struct Url {
    std::string scheme;      // "http" or "https", lower case
    std::string host;        // name or address, IPv6 without brackets ("::1")
    std::uint16_t port = 0;  // explicit or the scheme's default
    bool explicitPort = false;
    std::string target;  // path and query as given ("/a/b?x=1"), never empty
    bool ipv6Literal() const { return host.find(':') != std::string::npos; }

    bool isDefaultPort() const;
    // "host", "host:8080", "[::1]:8080": the Host header and the authority of the URL.
    std::string authority() const;
    std::string toString() const;  // scheme://authority/target
};

// Parses an absolute URL. A missing scheme means http (like curl). Throws FetchError:
// unsupportedProtocol (1) for another scheme, urlMalformat (3) for anything else that is
// wrong (no host, bad port, bad IPv6 literal, spaces or control characters). The fragment
// is dropped: it is never sent.
Url parseUrl(std::string_view text);

// Resolves a Location header value against the URL it came from (RFC 3986 section 5.2):
// absolute URLs, "//host/path", "/path", "relative/path", "?query", with dot segments
// removed. Bytes a URL may not contain (space, controls, non-ASCII) are percent-encoded, as
// curl does for redirects. Returns the absolute URL text, to be parsed with parseUrl.
std::string resolveReference(const Url& base, std::string_view reference);

}  // namespace sockchat::http
