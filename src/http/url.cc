#include "sockchat/http/url.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

#include "sockchat/http/fetch_error.h"

namespace sockchat::http {
namespace {

constexpr std::string_view kMalformed = "URL using bad/illegal format or missing URL";

[[noreturn]] void malformed(std::string_view detail = {}) {
    std::string message(kMalformed);
    if (!detail.empty()) message.append(" (").append(detail).append(")");
    throw FetchError(FetchCode::urlMalformat, message);
}

bool isSchemeChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}

// A scheme is ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) followed by ':' (RFC 3986 3.1).
std::size_t schemeLength(std::string_view text) {
    if (text.empty() || !std::isalpha(static_cast<unsigned char>(text[0]))) return 0;
    std::size_t i = 1;
    while (i < text.size() && isSchemeChar(text[i])) ++i;
    return i < text.size() && text[i] == ':' ? i : 0;
}

std::string toLower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// reg-name characters of RFC 3986 (unreserved, pct-encoded, sub-delims). Anything else in a
// host name is a typo or an injection attempt (e.g. a CR LF meant to end up in the request).
bool isHostChar(char c) {
    if (std::isalnum(static_cast<unsigned char>(c))) return true;
    return std::string_view("-._~%!$&'()*+,;=").find(c) != std::string_view::npos;
}

std::uint16_t defaultPort(std::string_view scheme) {
    return scheme == "https" ? 443 : 80;
}

void parseHostPort(std::string_view authority, Url& url) {
    if (authority.find('@') != std::string_view::npos)
        malformed("user credentials in the URL are not supported");
    std::string_view portText;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) malformed("unterminated IPv6 address");
        std::string host(authority.substr(1, close - 1));
        // A zone id is written %25zone in a URL; getaddrinfo wants %zone.
        if (const auto zone = host.find("%25"); zone != std::string::npos) host.erase(zone + 1, 2);
        const std::string address = host.substr(0, host.find('%'));
        in6_addr parsed{};
        if (::inet_pton(AF_INET6, address.c_str(), &parsed) != 1) malformed("bad IPv6 address");
        url.host = std::move(host);
        const auto rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') malformed("junk after IPv6 address");
            portText = rest.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        const auto host = authority.substr(0, colon);
        if (colon != std::string_view::npos) portText = authority.substr(colon + 1);
        if (host.empty()) malformed("no host");
        if (!std::all_of(host.begin(), host.end(), isHostChar)) malformed("bad host name");
        url.host = std::string(host);
    }
    url.port = defaultPort(url.scheme);
    // "host:" with nothing after the colon means the default port, as in curl.
    if (!portText.empty()) {
        unsigned value = 0;
        const auto [end, ec] =
            std::from_chars(portText.data(), portText.data() + portText.size(), value);
        if (ec != std::errc() || end != portText.data() + portText.size() || value > 65535)
            malformed("bad port number");
        url.port = static_cast<std::uint16_t>(value);
        url.explicitPort = true;
    }
}

// RFC 3986 5.2.4: "/a/b/../c/./d" → "/a/c/d". Used only on redirect targets, where the
// relative form comes from the server and must be merged into a path we can send.
std::string removeDotSegments(std::string_view path) {
    std::string out;
    while (!path.empty()) {
        if (path.starts_with("../")) {
            path.remove_prefix(3);
        } else if (path.starts_with("./")) {
            path.remove_prefix(2);
        } else if (path.starts_with("/./")) {
            path.remove_prefix(2);
        } else if (path == "/.") {
            path = "/";
        } else if (path.starts_with("/../") || path == "/..") {
            path = path.size() == 3 ? std::string_view("/") : path.substr(3);
            const auto slash = out.rfind('/');
            out.erase(slash == std::string::npos ? 0 : slash);
        } else if (path == "." || path == "..") {
            path = {};
        } else {
            const auto next = path.find('/', path.front() == '/' ? 1 : 0);
            out.append(path.substr(0, next));
            path = next == std::string_view::npos ? std::string_view() : path.substr(next);
        }
    }
    return out;
}

// Servers send Location values with spaces or raw UTF-8; curl percent-encodes such bytes
// rather than failing the redirect, and so do we.
std::string encodeUnsafeBytes(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c >= 0x7f) {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        } else {
            out += ch;
        }
    }
    return out;
}

}  // namespace

bool Url::isDefaultPort() const {
    return port == defaultPort(scheme);
}

std::string Url::authority() const {
    std::string out;
    if (ipv6Literal()) {
        // Host headers and URLs carry the zone as %25zone.
        std::string host = this->host;
        if (const auto zone = host.find('%'); zone != std::string::npos)
            host.insert(zone + 1, "25");
        out = "[" + host + "]";
    } else {
        out = host;
    }
    if (!isDefaultPort()) out.append(":").append(std::to_string(port));
    return out;
}

std::string Url::toString() const {
    return scheme + "://" + authority() + target;
}

Url parseUrl(std::string_view text) {
    if (text.empty()) malformed();
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c == 0x7f) malformed("spaces and control characters are not allowed");
    }
    Url url;
    std::string_view rest = text;
    const auto sep = text.find("://");
    if (sep != std::string_view::npos) {
        const auto scheme = text.substr(0, sep);
        if (schemeLength(text) != sep) malformed("bad scheme");
        url.scheme = toLower(scheme);
        rest = text.substr(sep + 3);
        if (url.scheme != "http" && url.scheme != "https")
            throw FetchError(FetchCode::unsupportedProtocol,
                             "Protocol \"" + std::string(scheme) + "\" not supported");
    } else {
        url.scheme = "http";
    }
    // The fragment is for the client only; it is never sent.
    rest = rest.substr(0, rest.find('#'));
    const auto pathStart = rest.find_first_of("/?");
    parseHostPort(rest.substr(0, pathStart), url);
    url.target = pathStart == std::string_view::npos ? "/" : std::string(rest.substr(pathStart));
    if (url.target.front() == '?') url.target.insert(url.target.begin(), '/');
    return url;
}

std::string resolveReference(const Url& base, std::string_view reference) {
    std::string ref = encodeUnsafeBytes(reference.substr(0, reference.find('#')));
    if (schemeLength(ref) != 0) return ref;
    const std::string origin = base.scheme + "://" + base.authority();
    if (ref.starts_with("//")) return base.scheme + ":" + ref;

    const auto baseQuery = base.target.find('?');
    const std::string basePath = base.target.substr(0, baseQuery);
    if (ref.empty()) return origin + base.target;
    if (ref.front() == '?') return origin + basePath + ref;

    const auto refQuery = ref.find('?');
    const std::string refPath = ref.substr(0, refQuery);
    const std::string query = refQuery == std::string::npos ? "" : ref.substr(refQuery);
    std::string merged;
    if (refPath.front() == '/') {
        merged = refPath;
    } else {
        merged = basePath.substr(0, basePath.rfind('/') + 1) + refPath;
    }
    std::string path = removeDotSegments(merged);
    if (path.empty() || path.front() != '/') path.insert(0, "/");
    return origin + path + query;
}

}  // namespace sockchat::http
