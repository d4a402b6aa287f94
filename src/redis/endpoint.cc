#include "sockchat/redis/endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "sockchat/text/quote.h"

namespace sockchat::redis {

namespace {

constexpr std::string_view kUnixScheme = "unix:";
// sizeof(sockaddr_un::sun_path) minus the terminating NUL.
constexpr std::size_t kMaxUnixPath = 107;
constexpr std::string_view kExample =
    " (use e.g. 127.0.0.1:6379, [::1]:6379 or unix:/run/redis/redis.sock)";

std::optional<Endpoint> failWith(std::string* error, std::string reason) {
    if (error != nullptr) *error = std::move(reason);
    return std::nullopt;
}

// RFC 1123 host name: dot-separated labels of letters, digits and '-', 1..63 bytes each, not
// starting or ending with '-'; 253 bytes at most. One trailing dot (fully qualified) is fine.
bool isHostName(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    if (name.empty() || name.size() > 253) return false;
    while (true) {
        std::size_t dot = name.find('.');
        std::string_view label = name.substr(0, dot);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
            return false;
        if (!std::all_of(label.begin(), label.end(),
                         [](unsigned char c) { return std::isalnum(c) || c == '-'; }))
            return false;
        if (dot == std::string_view::npos) return true;
        name.remove_prefix(dot + 1);
    }
}

// All digits and dots: meant as an IPv4 literal, never as a host name.
bool looksNumeric(std::string_view host) {
    return std::all_of(host.begin(), host.end(),
                       [](unsigned char c) { return std::isdigit(c) || c == '.'; });
}

std::optional<Endpoint> parseUnix(std::string_view path, std::string* error) {
    if (path.empty() || path.front() != '/')
        return failWith(error,
                        "a Unix socket needs an absolute path (use e.g. "
                        "unix:/run/redis/redis.sock)");
    if (path.size() > kMaxUnixPath)
        return failWith(error, "Unix socket path must be ≤ " + std::to_string(kMaxUnixPath) +
                                   " bytes (it is " + std::to_string(path.size()) + ")");
    if (path.find('\0') != std::string_view::npos)
        return failWith(error, "Unix socket path contains a NUL byte");
    Endpoint endpoint;
    endpoint.kind = Endpoint::Kind::unix_socket;
    endpoint.path = std::string(path);
    return endpoint;
}

}  // namespace

std::string Endpoint::describe() const {
    if (kind == Kind::unix_socket) return std::string(kUnixScheme) + path;
    std::string text = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return text + ":" + std::to_string(port);
}

std::optional<Endpoint> parseEndpoint(std::string_view text, std::string* error) {
    if (text.empty()) return failWith(error, "empty address" + std::string(kExample));
    if (text.starts_with(kUnixScheme)) return parseUnix(text.substr(kUnixScheme.size()), error);
    if (text.front() == '/')
        return failWith(error, "write a Unix socket as " +
                                   sockchat::text::quoteForMessage("unix:" + std::string(text)));

    std::string_view host;
    std::string_view rest;
    bool bracketed = text.front() == '[';
    if (bracketed) {
        std::size_t close = text.find(']');
        if (close == std::string_view::npos)
            return failWith(error, "missing \"]\" after the IPv6 address (use e.g. [::1]:6379)");
        host = text.substr(1, close - 1);
        rest = text.substr(close + 1);
    } else {
        std::size_t colon = text.rfind(':');
        if (colon != std::string_view::npos && text.find(':') != colon)
            return failWith(error, "put an IPv6 address in brackets (use e.g. [::1]:6379)");
        host = text.substr(0, colon == std::string_view::npos ? text.size() : colon);
        rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
    }
    if (rest.empty()) return failWith(error, "missing port (use e.g. 127.0.0.1:6379)");
    if (rest.front() != ':')
        return failWith(error, "unexpected " + sockchat::text::quoteForMessage(rest) +
                                   " after the IPv6 address (use e.g. [::1]:6379)");
    std::string_view portText = rest.substr(1);
    unsigned port = 0;
    auto [end, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
    if (portText.empty() || ec == std::errc::invalid_argument ||
        end != portText.data() + portText.size())
        return failWith(error,
                        "port " + sockchat::text::quoteForMessage(portText) + " is not a number");
    if (ec == std::errc::result_out_of_range || port == 0 || port > 65535)
        return failWith(error, "port " + sockchat::text::quoteForMessage(portText) +
                                   " is out of range 1..65535");

    const std::string hostText(host);
    if (bracketed) {
        in6_addr ip6{};
        if (::inet_pton(AF_INET6, hostText.c_str(), &ip6) != 1)
            return failWith(error,
                            sockchat::text::quoteForMessage(host) + " is not an IPv6 address");
    } else if (host.empty()) {
        return failWith(error, "missing host" + std::string(kExample));
    } else if (looksNumeric(host)) {
        in_addr ip4{};
        if (::inet_pton(AF_INET, hostText.c_str(), &ip4) != 1)
            return failWith(error,
                            sockchat::text::quoteForMessage(host) + " is not an IPv4 address");
    } else if (!isHostName(host)) {
        return failWith(error, sockchat::text::quoteForMessage(host) +
                                   " is neither an IP address nor a host name");
    }
    Endpoint endpoint;
    endpoint.host = hostText;
    endpoint.port = static_cast<std::uint16_t>(port);
    return endpoint;
}

}  // namespace sockchat::redis
